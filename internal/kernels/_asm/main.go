// Command _asm generates the amd64 AVX-512 vector loops of package kernels
// with avo.
//
// Run it through go generate in the parent directory:
//
//	go run . -out ../vec_amd64.s -stubs ../vec_amd64_stubs.go -pkg kernels
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	relu()
	reluBackward()
	affine()
	shiftedSums()
	dotSums()
	bnInputGrad()
	add()
	addScalar()
	sum()
	dot()
	maxPool()
	maxPoolW8()
	Generate()
}

// loop emits a loop over n (a multiple of 16) elements, 16 per iteration:
// body receives the byte offset register of the current block.
func loop(n Register, body func(off Register)) {
	off := RAX
	XORQ(off, off)
	SHLQ(U8(2), n)
	Label("loop")
	CMPQ(off, n)
	JGE(LabelRef("done"))
	body(off)
	ADDQ(U8(64), off)
	JMP(LabelRef("loop"))
	Label("done")
}

// at addresses the block at byte offset off from base.
func at(base, off Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }

// broadcast loads the float32 parameter name into every lane of z.
func broadcast(name string, z VecPhysical) {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(p.Addr, z)
}

// hsum adds the 16 lanes of z, leaving the sum in its lowest lane; t is
// clobbered.
func hsum(z, t VecPhysical) {
	VEXTRACTF32X8(U8(1), z, t.AsY())
	VADDPS(t.AsY(), z.AsY(), z.AsY())
	VEXTRACTF128(U8(1), z.AsY(), t.AsX())
	VADDPS(t.AsX(), z.AsX(), z.AsX())
	VPERMILPS(U8(0x4E), z.AsX(), t.AsX())
	VADDPS(t.AsX(), z.AsX(), z.AsX())
	VPERMILPS(U8(0xB1), z.AsX(), t.AsX())
	VADDPS(t.AsX(), z.AsX(), z.AsX())
}

func relu() {
	TEXT("reluAVX512", NOSPLIT, "func(dst, x *float32, n int)")
	Pragma("noescape")
	Doc("reluAVX512 writes max(x, 0) into dst[:n] by clearing negative values;",
		"n is a multiple of 16.")
	dst, x, n := Load(Param("dst"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(x.(Register), off), Z0)
		VPSRAD(U8(31), Z0, Z1)
		VPANDND(Z0, Z1, Z2)
		VMOVUPS(Z2, at(dst.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func reluBackward() {
	TEXT("reluBackwardAVX512", NOSPLIT, "func(grad, dy, y *float32, n int)")
	Pragma("noescape")
	Doc("reluBackwardAVX512 adds dy into grad[:n] wherever y is not zero;",
		"n is a multiple of 16.")
	g, dy, y := Load(Param("grad"), RDI), Load(Param("dy"), RSI), Load(Param("y"), RDX)
	n := Load(Param("n"), RCX)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(y.(Register), off), Z0)
		VPTESTMD(Z0, Z0, K1)
		VMOVUPS(at(g.(Register), off), Z1)
		VADDPS(at(dy.(Register), off), Z1, K1, Z1)
		VMOVUPS(Z1, at(g.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func affine() {
	TEXT("affineAVX512", NOSPLIT, "func(dst, x *float32, n int, scale, shift float32)")
	Pragma("noescape")
	Doc("affineAVX512 writes scale·x + shift into dst[:n]; n is a multiple of 16.")
	dst, x, n := Load(Param("dst"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	broadcast("scale", Z1)
	broadcast("shift", Z2)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(x.(Register), off), Z0)
		VFMADD213PS(Z2, Z1, Z0)
		VMOVUPS(Z0, at(dst.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func shiftedSums() {
	TEXT("shiftedSumsAVX512", NOSPLIT, "func(x *float32, n int, k float32) (s, ss float32)")
	Pragma("noescape")
	Doc("shiftedSumsAVX512 returns Σ(x − k) and Σ(x − k)² over x[:n];",
		"n is a multiple of 16.")
	x, n := Load(Param("x"), RSI), Load(Param("n"), RCX)
	broadcast("k", Z1)
	VPXORD(Z2, Z2, Z2)
	VPXORD(Z3, Z3, Z3)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(x.(Register), off), Z0)
		VSUBPS(Z1, Z0, Z0)
		VADDPS(Z0, Z2, Z2)
		VFMADD231PS(Z0, Z0, Z3)
	})
	hsum(Z2, Z4)
	hsum(Z3, Z4)
	Store(X2, ReturnIndex(0))
	Store(X3, ReturnIndex(1))
	VZEROUPPER()
	RET()
}

func dotSums() {
	TEXT("dotSumsAVX512", NOSPLIT, "func(dy, x *float32, n int, mu float32) (sdy, sdyx float32)")
	Pragma("noescape")
	Doc("dotSumsAVX512 returns Σdy and Σdy·(x − mu) over dy[:n] and x[:n];",
		"n is a multiple of 16.")
	dy, x, n := Load(Param("dy"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	broadcast("mu", Z1)
	VPXORD(Z2, Z2, Z2)
	VPXORD(Z3, Z3, Z3)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(dy.(Register), off), Z0)
		VMOVUPS(at(x.(Register), off), Z5)
		VSUBPS(Z1, Z5, Z5)
		VADDPS(Z0, Z2, Z2)
		VFMADD231PS(Z5, Z0, Z3)
	})
	hsum(Z2, Z4)
	hsum(Z3, Z4)
	Store(X2, ReturnIndex(0))
	Store(X3, ReturnIndex(1))
	VZEROUPPER()
	RET()
}

func bnInputGrad() {
	TEXT("bnInputGradAVX512", NOSPLIT,
		"func(dx, dy, x *float32, n int, k, mdy, mu, c float32)")
	Pragma("noescape")
	Doc("bnInputGradAVX512 adds k·(dy − mdy − (x − mu)·c) into dx[:n];",
		"n is a multiple of 16.")
	dx, dy, x := Load(Param("dx"), RDI), Load(Param("dy"), RSI), Load(Param("x"), RDX)
	n := Load(Param("n"), RCX)
	broadcast("k", Z1)
	broadcast("mdy", Z2)
	broadcast("mu", Z3)
	broadcast("c", Z4)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(x.(Register), off), Z0)
		VSUBPS(Z3, Z0, Z0)
		VMOVUPS(at(dy.(Register), off), Z5)
		VSUBPS(Z2, Z5, Z5)
		VFNMADD231PS(Z4, Z0, Z5)
		VMOVUPS(at(dx.(Register), off), Z6)
		VFMADD231PS(Z1, Z5, Z6)
		VMOVUPS(Z6, at(dx.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func add() {
	TEXT("addAVX512", NOSPLIT, "func(dst, src *float32, n int)")
	Pragma("noescape")
	Doc("addAVX512 adds src[:n] into dst[:n]; n is a multiple of 16.")
	dst, src, n := Load(Param("dst"), RDI), Load(Param("src"), RSI), Load(Param("n"), RCX)
	loop(n.(Register), func(off Register) {
		VMOVUPS(at(dst.(Register), off), Z0)
		VADDPS(at(src.(Register), off), Z0, Z0)
		VMOVUPS(Z0, at(dst.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func addScalar() {
	TEXT("addScalarAVX512", NOSPLIT, "func(x *float32, n int, v float32)")
	Pragma("noescape")
	Doc("addScalarAVX512 adds v to x[:n]; n is a multiple of 16.")
	x, n := Load(Param("x"), RDI), Load(Param("n"), RCX)
	broadcast("v", Z1)
	loop(n.(Register), func(off Register) {
		VADDPS(at(x.(Register), off), Z1, Z0)
		VMOVUPS(Z0, at(x.(Register), off))
	})
	VZEROUPPER()
	RET()
}

func sum() {
	TEXT("sumAVX512", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc("sumAVX512 returns the sum of x[:n]; n is a multiple of 16.")
	x, n := Load(Param("x"), RSI), Load(Param("n"), RCX)
	VPXORD(Z2, Z2, Z2)
	loop(n.(Register), func(off Register) {
		VADDPS(at(x.(Register), off), Z2, Z2)
	})
	hsum(Z2, Z4)
	Store(X2, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func dot() {
	TEXT("dotAVX512", NOSPLIT, "func(a, b *float32, n int) float32")
	Pragma("noescape")
	Doc("dotAVX512 returns Σ a·b over a[:n] and b[:n]; n is a multiple of 32.")
	a, b, n := Load(Param("a"), RSI), Load(Param("b"), RDI), Load(Param("n"), RCX)
	VPXORD(Z2, Z2, Z2)
	VPXORD(Z3, Z3, Z3)
	off := RAX
	XORQ(off, off)
	SHLQ(U8(2), n)
	Label("loop")
	CMPQ(off, n)
	JGE(LabelRef("done"))
	VMOVUPS(at(a.(Register), off), Z0)
	VMOVUPS(Mem{Base: a.(Register), Index: off, Scale: 1, Disp: 64}, Z1)
	VFMADD231PS(at(b.(Register), off), Z0, Z2)
	VFMADD231PS(Mem{Base: b.(Register), Index: off, Scale: 1, Disp: 64}, Z1, Z3)
	ADDQ(U8(128), off)
	JMP(LabelRef("loop"))
	Label("done")
	VADDPS(Z3, Z2, Z2)
	hsum(Z2, Z4)
	Store(X2, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func maxPool() {
	TEXT("maxPool2x2AVX512", NOSPLIT, "func(dst *float32, idx *int32, src *float32, w, oh int)")
	Pragma("noescape")
	Doc("maxPool2x2AVX512 is maxPool2x2Go on one plane of width w (a multiple of 16)",
		"and oh output rows, eight windows per step.")

	// lane i of the permutations picks element 2i (top-left of window i) or 2i+1
	even := GLOBL("maxPoolEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32((2*i)%16))
	}
	odd := GLOBL("maxPoolOdd", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32((2*i+1)%16))
	}

	dst, idx, src := Load(Param("dst"), RDI), Load(Param("idx"), RSI), Load(Param("src"), RDX)
	w, oh := Load(Param("w"), RCX), Load(Param("oh"), R8)
	VMOVDQU32(even, Z20)
	VMOVDQU32(odd, Z21)
	ones := Z23
	MOVL(U32(1), EAX)
	VPBROADCASTD(EAX, ones)
	VPBROADCASTD(ECX, Z24)

	rowPos, r1, blocks, pos := R9, R10, R11, R12
	XORQ(rowPos, rowPos) // 2·oy·w, the plane index of row 2·oy
	Label("row")
	TESTQ(oh, oh)
	JLE(LabelRef("done"))
	LEAQ(Mem{Base: src.(Register), Index: w.(Register), Scale: 4}, r1)
	MOVQ(rowPos, pos)
	MOVQ(w, blocks)
	SHRQ(U8(4), blocks)
	XORQ(RAX, RAX) // byte offset within the rows

	Label("block")
	VMOVUPS(Mem{Base: src.(Register), Index: RAX, Scale: 1}, Z0)
	VMOVUPS(Mem{Base: r1, Index: RAX, Scale: 1}, Z1)
	VPERMPS(Z0, Z20, Z2)         // a: top left
	VPERMPS(Z0, Z21, Z3)         // b: top right
	VPERMPS(Z1, Z20, Z4)         // c: bottom left
	VPERMPS(Z1, Z21, Z5)         // d: bottom right
	VCMPPS(U8(0x1E), Z2, Z3, K1) // b > a
	VBLENDMPS(Z3, Z2, K1, Z6)    // top
	VCMPPS(U8(0x1E), Z4, Z5, K2) // d > c
	VBLENDMPS(Z5, Z4, K2, Z7)    // bottom
	VCMPPS(U8(0x1E), Z6, Z7, K3) // bottom > top
	VBLENDMPS(Z7, Z6, K3, Z8)

	Comment("indices: top row pos+2i(+1), bottom row pos+w+2i(+1)")
	VPBROADCASTD(R12L, Z9)
	VPADDD(Z20, Z9, Z9)
	VPADDD(Z24, Z9, Z10)
	VPADDD(ones, Z9, K1, Z9)
	VPADDD(ones, Z10, K2, Z10)
	VPBLENDMD(Z10, Z9, K3, Z11)
	VMOVUPS(Z8.AsY(), Mem{Base: dst.(Register)})
	VMOVDQU32(Z11.AsY(), Mem{Base: idx.(Register)})
	ADDQ(U8(32), dst)
	ADDQ(U8(32), idx)
	ADDQ(U8(64), RAX)
	ADDQ(U8(16), pos)
	DECQ(blocks)
	JNZ(LabelRef("block"))

	Comment("next pair of rows")
	LEAQ(Mem{Base: r1, Index: w.(Register), Scale: 4}, src)
	LEAQ(Mem{Base: rowPos, Index: w.(Register), Scale: 2}, rowPos)
	DECQ(oh)
	JMP(LabelRef("row"))

	Label("done")
	VZEROUPPER()
	RET()
}

func maxPoolW8() {
	TEXT("maxPool2x2W8AVX512", NOSPLIT, "func(dst *float32, idx *int32, src *float32, pairs int)")
	Pragma("noescape")
	Doc("maxPool2x2W8AVX512 is maxPool2x2Go on a plane of width 8, two output rows",
		"(32 input floats, eight windows) per step, for pairs steps.")

	// lane i < 4 is window i of the first output row, lane 4+i of the second;
	// tables index the 32 floats of a step for each corner of the windows
	tables := make([]Mem, 4)
	for t, name := range []string{"W8A", "W8B", "W8C", "W8D"} {
		tables[t] = GLOBL("maxPool"+name, RODATA|NOPTR)
		for i := 0; i < 16; i++ {
			row := (i / 4) % 2 // lanes 8..15 repeat lanes 0..7 and are not stored
			DATA(4*i, U32(16*row+2*(i%4)+t%2+8*(t/2)))
		}
	}
	dst, idx, src := Load(Param("dst"), RDI), Load(Param("idx"), RSI), Load(Param("src"), RDX)
	pairs := Load(Param("pairs"), RCX)
	for t := range tables {
		VMOVDQU32(tables[t], []VecPhysical{Z20, Z21, Z22, Z23}[t])
	}
	MOVL(U32(1), EAX)
	VPBROADCASTD(EAX, Z24)
	XORQ(R9, R9) // plane index of the step's first float

	Label("step")
	TESTQ(pairs, pairs)
	JLE(LabelRef("done"))
	VMOVUPS(Mem{Base: src.(Register)}, Z0)
	VMOVUPS(Mem{Base: src.(Register), Disp: 64}, Z1)
	for t, r := range []VecPhysical{Z2, Z3, Z4, Z5} {
		VMOVDQA32([]VecPhysical{Z20, Z21, Z22, Z23}[t], r)
		VPERMI2PS(Z1, Z0, r)
	}
	VCMPPS(U8(0x1E), Z2, Z3, K1) // b > a
	VBLENDMPS(Z3, Z2, K1, Z6)
	VCMPPS(U8(0x1E), Z4, Z5, K2) // d > c
	VBLENDMPS(Z5, Z4, K2, Z7)
	VCMPPS(U8(0x1E), Z6, Z7, K3) // bottom > top
	VBLENDMPS(Z7, Z6, K3, Z8)

	Comment("indices: the corner tables offset by the step's position")
	VPBROADCASTD(R9L, Z9)
	VPADDD(Z22, Z9, Z10)
	VPADDD(Z20, Z9, Z9)
	VPADDD(Z24, Z9, K1, Z9)
	VPADDD(Z24, Z10, K2, Z10)
	VPBLENDMD(Z10, Z9, K3, Z11)
	VMOVUPS(Z8.AsY(), Mem{Base: dst.(Register)})
	VMOVDQU32(Z11.AsY(), Mem{Base: idx.(Register)})
	ADDQ(U8(32), dst)
	ADDQ(U8(32), idx)
	ADDQ(U8(128), src)
	ADDQ(U8(32), R9)
	DECQ(pairs)
	JMP(LabelRef("step"))

	Label("done")
	VZEROUPPER()
	RET()
}
