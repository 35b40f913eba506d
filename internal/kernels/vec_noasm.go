//go:build !amd64 || purego

package kernels

// haveVecAsm reports whether the AVX-512 and AVX2 vector loops are built in.
const haveVecAsm = false

// The vector loops exist only on amd64; vector() keeps these from being called.

func reluAVX512(dst, x *float32, n int)                      { panic("kernels: no vector loops") }
func reluBackwardAVX512(g, dy, y *float32, n int)            { panic("kernels: no vector loops") }
func affineAVX512(dst, x *float32, n int, scale, sh float32) { panic("kernels: no vector loops") }
func shiftedSumsAVX512(x *float32, n int, k float32) (s, ss float32) {
	panic("kernels: no vector loops")
}
func dotSumsAVX512(dy, x *float32, n int, mu float32) (a, b float32) {
	panic("kernels: no vector loops")
}
func bnInputGradAVX512(dx, dy, x *float32, n int, k, mdy, mu, c float32) {
	panic("kernels: no vector loops")
}
func addAVX512(dst, src *float32, n int) { panic("kernels: no vector loops") }

func maxPool2x2AVX512(dst *float32, idx *int32, src *float32, w, oh int) {
	panic("kernels: no vector loops")
}

func addScalarAVX512(x *float32, n int, v float32) { panic("kernels: no vector loops") }

func sumAVX512(x *float32, n int) float32 { panic("kernels: no vector loops") }

func dotAVX512(a, b *float32, n int) float32 { panic("kernels: no vector loops") }

func dot4AVX512(a, b *float32, ldb, n int) (s0, s1, s2, s3 float32) {
	panic("kernels: no vector loops")
}

func maxPool2x2W8AVX512(dst *float32, idx *int32, src *float32, pairs int) {
	panic("kernels: no vector loops")
}

func reluAVX2(dst, x *float32, n int)                      { panic("kernels: no vector loops") }
func reluBackwardAVX2(g, dy, y *float32, n int)            { panic("kernels: no vector loops") }
func affineAVX2(dst, x *float32, n int, scale, sh float32) { panic("kernels: no vector loops") }
func shiftedSumsAVX2(x *float32, n int, k float32) (s, ss float32) {
	panic("kernels: no vector loops")
}
func dotSumsAVX2(dy, x *float32, n int, mu float32) (a, b float32) {
	panic("kernels: no vector loops")
}
func bnInputGradAVX2(dx, dy, x *float32, n int, k, mdy, mu, c float32) {
	panic("kernels: no vector loops")
}
func addAVX2(dst, src *float32, n int)           { panic("kernels: no vector loops") }
func addScalarAVX2(x *float32, n int, v float32) { panic("kernels: no vector loops") }
func sumAVX2(x *float32, n int) float32          { panic("kernels: no vector loops") }
func dotAVX2(a, b *float32, n int) float32       { panic("kernels: no vector loops") }

func dot4AVX2(a, b *float32, ldb, n int) (s0, s1, s2, s3 float32) {
	panic("kernels: no vector loops")
}

func maxPool2x2AVX2(dst *float32, idx *int32, src *float32, w, oh int) {
	panic("kernels: no vector loops")
}

func maxPool2x2W8AVX2(dst *float32, idx *int32, src *float32, pairs int) {
	panic("kernels: no vector loops")
}

func adamAVX512(w, dw, m, v *float32, n int, c *float32)      { panic("kernels: no vector loops") }
func adamDecayAVX512(w, dw, m, v *float32, n int, c *float32) { panic("kernels: no vector loops") }
func adamAVX2(w, dw, m, v *float32, n int, c *float32)        { panic("kernels: no vector loops") }
func adamDecayAVX2(w, dw, m, v *float32, n int, c *float32)   { panic("kernels: no vector loops") }
