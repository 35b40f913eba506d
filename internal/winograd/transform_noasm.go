//go:build !amd64 || purego

package winograd

// haveAsm reports whether the AVX transform loops are built in: not here.
const haveAsm = false

// The loops exist only on amd64; vector() keeps these from being called.

func inputRowAVX(dst *float32, ld int, even, odd *float32, pld, groups int) {
	panic("winograd: no vector loops")
}

func outputRowAVX(plane *float32, w int, m *float32, ld, groups int, bias float32) {
	panic("winograd: no vector loops")
}

func outputRowAddAVX(plane *float32, w int, m *float32, ld, groups int, bias float32) {
	panic("winograd: no vector loops")
}

func gradientRowAVX(dst *float32, ld int, plane *float32, w, groups int) {
	panic("winograd: no vector loops")
}

func splitRowAVX(even, odd, x *float32, groups int) { panic("winograd: no vector loops") }

func input4AVX(v *float32, ldBytes int, src *float32, offs *int32, pitchBytes int, groups int) {
	panic("winograd: no vector loops")
}

func output4AVX(dst *float32, wBytes int, offs *int32, m *float32, ldBytes int, groups int,
	bias float32) {
	panic("winograd: no vector loops")
}

func output4AddAVX(dst *float32, wBytes int, offs *int32, m *float32, ldBytes int, groups int,
	bias float32) {
	panic("winograd: no vector loops")
}

func gradient4AVX(m *float32, ldBytes int, dy *float32, wBytes int, offs *int32, groups int) {
	panic("winograd: no vector loops")
}

func padRowsAVX(dst *float32, pitchBytes int, src *float32, blocks, rows int) {
	panic("winograd: no vector loops")
}
