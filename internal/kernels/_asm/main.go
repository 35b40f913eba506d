// Command _asm generates the amd64 vector loops of package kernels with avo,
// each in two versions: AVX-512 (16 lanes in zmm registers, with mask
// registers) and AVX2 with FMA3 (8 lanes in ymm registers).
//
// Run it through go generate in the parent directory:
//
//	go run . -out ../vec_amd64.s -stubs ../vec_amd64_stubs.go -pkg kernels
package main

import (
	"strconv"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa is the instruction set one version of the loops is written for.
type isa struct {
	suffix string // ends the names of its functions
	lanes  int    // float32 lanes in a vector register
}

var (
	avx512 = isa{suffix: "AVX512", lanes: 16}
	avx2   = isa{suffix: "AVX2", lanes: 8}
)

func main() {
	ConstraintExpr("amd64,!purego")
	for _, s := range []isa{avx512, avx2} {
		relu(s)
		reluBackward(s)
		affine(s)
		shiftedSums(s)
		dotSums(s)
		bnInputGrad(s)
		add(s)
		addScalar(s)
		sum(s)
		dot(s)
		dot4(s)
		maxPool(s)
		maxPoolW8(s)
		adam(s, false)
		adam(s, true)
	}
	Generate()
}

// text starts the function name+suffix with signature sig and the comment doc,
// in which $F stands for the function's name and $N for the number of lanes.
func (s isa) text(name, sig string, doc ...string) {
	fn := name + s.suffix
	TEXT(fn, NOSPLIT, sig)
	Pragma("noescape")
	r := strings.NewReplacer("$F", fn, "$N", strconv.Itoa(s.lanes))
	for i := range doc {
		doc[i] = r.Replace(doc[i])
	}
	Doc(doc...)
}

// vec returns the vector register z, named by its zmm, at the width of s.
func (s isa) vec(z VecPhysical) VecPhysical {
	if s == avx2 {
		return z.AsY().(VecPhysical)
	}
	return z
}

// bytes is the size of a vector register of s.
func (s isa) bytes() int { return 4 * s.lanes }

// zero clears the vector register v.
func (s isa) zero(v VecPhysical) {
	if s == avx2 {
		VXORPS(v, v, v)
		return
	}
	VPXORD(v, v, v)
}

// andNot writes b &^ a into dst.
func (s isa) andNot(b, a, dst VecPhysical) {
	if s == avx2 {
		VPANDN(b, a, dst)
		return
	}
	VPANDND(b, a, dst)
}

// bank returns the first c of regs, named by their zmm, at the width of s: the
// registers of c copies of a loop body.
func (s isa) bank(c int, regs ...VecPhysical) []VecPhysical {
	b := make([]VecPhysical, c)
	for i := range b {
		b[i] = s.vec(regs[i])
	}
	return b
}

// copies returns how many registers of s hold floats floats.
func (s isa) copies(floats int) int { return floats / s.lanes }

// fold adds the accumulators accs into accs[0], pairwise.
func fold(accs []VecPhysical) {
	for step := 1; step < len(accs); step *= 2 {
		for i := 0; i+step < len(accs); i += 2 * step {
			VADDPS(accs[i+step], accs[i], accs[i])
		}
	}
}

// loop emits a loop over n elements, a multiple of step/4, step bytes per
// iteration: body receives the byte offset register of the current step.
func loop(n Register, step int, body func(off Register)) {
	off := RAX
	XORQ(off, off)
	SHLQ(U8(2), n)
	Label("loop")
	CMPQ(off, n)
	JGE(LabelRef("done"))
	body(off)
	ADDQ(U8(step), off)
	JMP(LabelRef("loop"))
	Label("done")
}

// at addresses the block at byte offset off from base.
func at(base, off Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }

// broadcast loads the float32 parameter name into every lane of v.
func broadcast(name string, v VecPhysical) {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(p.Addr, v)
}

// hsum adds the lanes of v, leaving the sum in its lowest lane; t is
// clobbered.
func (s isa) hsum(v, t VecPhysical) {
	if s == avx512 {
		VEXTRACTF32X8(U8(1), v, t.AsY())
		VADDPS(t.AsY(), v.AsY(), v.AsY())
	}
	VEXTRACTF128(U8(1), v.AsY(), t.AsX())
	VADDPS(t.AsX(), v.AsX(), v.AsX())
	VPERMILPS(U8(0x4E), v.AsX(), t.AsX())
	VADDPS(t.AsX(), v.AsX(), v.AsX())
	VPERMILPS(U8(0xB1), v.AsX(), t.AsX())
	VADDPS(t.AsX(), v.AsX(), v.AsX())
}

// ret stores the lowest lanes of sums as the float32 results and returns.
func ret(sums ...VecPhysical) {
	for i, v := range sums {
		Store(v.AsX(), ReturnIndex(i))
	}
	VZEROUPPER()
	RET()
}

func relu(s isa) {
	s.text("relu", "func(dst, x *float32, n int)",
		"$F writes max(x, 0) into dst[:n] by clearing negative values;",
		"n is a multiple of $N.")
	dst, x, n := Load(Param("dst"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	v := s.vec
	loop(n, s.bytes(), func(off Register) {
		VMOVUPS(at(x, off), v(Z0))
		VPSRAD(U8(31), v(Z0), v(Z1))
		s.andNot(v(Z0), v(Z1), v(Z2))
		VMOVUPS(v(Z2), at(dst, off))
	})
	ret()
}

func reluBackward(s isa) {
	s.text("reluBackward", "func(grad, dy, y *float32, n int)",
		"$F adds dy into grad[:n] wherever y is not zero;",
		"n is a multiple of $N.")
	g, dy, y := Load(Param("grad"), RDI), Load(Param("dy"), RSI), Load(Param("y"), RDX)
	n := Load(Param("n"), RCX)
	if s == avx512 {
		loop(n, s.bytes(), func(off Register) {
			VMOVUPS(at(y, off), Z0)
			VPTESTMD(Z0, Z0, K1)
			VMOVUPS(at(g, off), Z1)
			VADDPS(at(dy, off), Z1, K1, Z1)
			VMOVUPS(Z1, at(g, off))
		})
		ret()
		return
	}

	Comment("as reluBackwardGo: grad + (dy masked to +0 where the bits of y are 0)")
	s.zero(Y3)
	loop(n, s.bytes(), func(off Register) {
		VPCMPEQD(at(y, off), Y3, Y0)
		VPANDN(at(dy, off), Y0, Y1)
		VMOVUPS(at(g, off), Y2)
		VADDPS(Y1, Y2, Y2)
		VMOVUPS(Y2, at(g, off))
	})
	ret()
}

func affine(s isa) {
	s.text("affine", "func(dst, x *float32, n int, scale, shift float32)",
		"$F writes scale·x + shift into dst[:n]; n is a multiple of $N.")
	dst, x, n := Load(Param("dst"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	v := s.vec
	broadcast("scale", v(Z1))
	broadcast("shift", v(Z2))
	loop(n, s.bytes(), func(off Register) {
		VMOVUPS(at(x, off), v(Z0))
		VFMADD213PS(v(Z2), v(Z1), v(Z0))
		VMOVUPS(v(Z0), at(dst, off))
	})
	ret()
}

// reduce emits a loop over n elements, floats a step, that returns sums:
// it clears the banks of accumulators, emits step for each step at byte
// offset off, then adds up each bank and returns the sums of their lanes.
// Z4 is clobbered.
func reduce(s isa, n Register, floats int, banks [][]VecPhysical, step func(off Register)) {
	for k := range banks[0] {
		for _, b := range banks {
			s.zero(b[k])
		}
	}
	loop(n, 4*floats, step)
	sums := make([]VecPhysical, len(banks))
	for i, b := range banks {
		fold(b)
		sums[i] = b[0]
	}
	for _, v := range sums {
		s.hsum(v, s.vec(Z4))
	}
	ret(sums...)
}

// The sums take 16 floats a step in both versions, which gives the AVX2 ones
// two sets of accumulators to hide the latency of their additions.

func shiftedSums(s isa) {
	s.text("shiftedSums", "func(x *float32, n int, k float32) (s, ss float32)",
		"$F returns Σ(x − k) and Σ(x − k)² over x[:n];",
		"n is a multiple of 16.")
	x, n := Load(Param("x"), RSI), Load(Param("n"), RCX)
	c := s.copies(16)
	d, sums, squares := s.bank(c, Z0, Z5), s.bank(c, Z2, Z8), s.bank(c, Z3, Z9)
	broadcast("k", s.vec(Z1))
	reduce(s, n, 16, [][]VecPhysical{sums, squares}, func(off Register) {
		for k := range c {
			VMOVUPS(at(x, off).Offset(k*s.bytes()), d[k])
			VSUBPS(s.vec(Z1), d[k], d[k])
			VADDPS(d[k], sums[k], sums[k])
			VFMADD231PS(d[k], d[k], squares[k])
		}
	})
}

func dotSums(s isa) {
	s.text("dotSums", "func(dy, x *float32, n int, mu float32) (sdy, sdyx float32)",
		"$F returns Σdy and Σdy·(x − mu) over dy[:n] and x[:n];",
		"n is a multiple of 16.")
	dy, x, n := Load(Param("dy"), RDI), Load(Param("x"), RSI), Load(Param("n"), RCX)
	c := s.copies(16)
	g, d := s.bank(c, Z0, Z6), s.bank(c, Z5, Z7)
	sums, dots := s.bank(c, Z2, Z8), s.bank(c, Z3, Z9)
	broadcast("mu", s.vec(Z1))
	reduce(s, n, 16, [][]VecPhysical{sums, dots}, func(off Register) {
		for k := range c {
			VMOVUPS(at(dy, off).Offset(k*s.bytes()), g[k])
			VMOVUPS(at(x, off).Offset(k*s.bytes()), d[k])
			VSUBPS(s.vec(Z1), d[k], d[k])
			VADDPS(g[k], sums[k], sums[k])
			VFMADD231PS(d[k], g[k], dots[k])
		}
	})
}

func bnInputGrad(s isa) {
	s.text("bnInputGrad", "func(dx, dy, x *float32, n int, k, mdy, mu, c float32)",
		"$F adds k·(dy − mdy − (x − mu)·c) into dx[:n];",
		"n is a multiple of $N.")
	dx, dy, x := Load(Param("dx"), RDI), Load(Param("dy"), RSI), Load(Param("x"), RDX)
	n := Load(Param("n"), RCX)
	v := s.vec
	broadcast("k", v(Z1))
	broadcast("mdy", v(Z2))
	broadcast("mu", v(Z3))
	broadcast("c", v(Z4))
	loop(n, s.bytes(), func(off Register) {
		VMOVUPS(at(x, off), v(Z0))
		VSUBPS(v(Z3), v(Z0), v(Z0))
		VMOVUPS(at(dy, off), v(Z5))
		VSUBPS(v(Z2), v(Z5), v(Z5))
		VFNMADD231PS(v(Z4), v(Z0), v(Z5))
		VMOVUPS(at(dx, off), v(Z6))
		VFMADD231PS(v(Z1), v(Z5), v(Z6))
		VMOVUPS(v(Z6), at(dx, off))
	})
	ret()
}

func add(s isa) {
	s.text("add", "func(dst, src *float32, n int)",
		"$F adds src[:n] into dst[:n]; n is a multiple of $N.")
	dst, src, n := Load(Param("dst"), RDI), Load(Param("src"), RSI), Load(Param("n"), RCX)
	v := s.vec
	loop(n, s.bytes(), func(off Register) {
		VMOVUPS(at(dst, off), v(Z0))
		VADDPS(at(src, off), v(Z0), v(Z0))
		VMOVUPS(v(Z0), at(dst, off))
	})
	ret()
}

func addScalar(s isa) {
	s.text("addScalar", "func(x *float32, n int, v float32)",
		"$F adds v to x[:n]; n is a multiple of $N.")
	x, n := Load(Param("x"), RDI), Load(Param("n"), RCX)
	v := s.vec
	broadcast("v", v(Z1))
	loop(n, s.bytes(), func(off Register) {
		VADDPS(at(x, off), v(Z1), v(Z0))
		VMOVUPS(v(Z0), at(x, off))
	})
	ret()
}

func sum(s isa) {
	s.text("sum", "func(x *float32, n int) float32",
		"$F returns the sum of x[:n]; n is a multiple of 16.")
	x, n := Load(Param("x"), RSI), Load(Param("n"), RCX)
	sums := s.bank(s.copies(16), Z2, Z3)
	reduce(s, n, 16, [][]VecPhysical{sums}, func(off Register) {
		for k, acc := range sums {
			VADDPS(at(x, off).Offset(k*s.bytes()), acc, acc)
		}
	})
}

// dot takes 32 floats a step: two AVX-512 registers, four AVX2 ones.
func dot(s isa) {
	s.text("dot", "func(a, b *float32, n int) float32",
		"$F returns Σ a·b over a[:n] and b[:n]; n is a multiple of 32.")
	a, b, n := Load(Param("a"), RSI), Load(Param("b"), RDI), Load(Param("n"), RCX)
	c := s.copies(32)
	u, dots := s.bank(c, Z0, Z1, Z5, Z6), s.bank(c, Z2, Z3, Z7, Z8)
	reduce(s, n, 32, [][]VecPhysical{dots}, func(off Register) {
		for k := range c {
			VMOVUPS(at(a, off).Offset(k*s.bytes()), u[k])
		}
		for k := range c {
			VFMADD231PS(at(b, off).Offset(k*s.bytes()), u[k], dots[k])
		}
	})
}

// dot4 takes two registers of a a step and multiplies them with four rows of
// b, which reads a once for four dot products.
func dot4(s isa) {
	s.text("dot4", "func(a, b *float32, ldb, n int) (s0, s1, s2, s3 float32)",
		"$F returns Σ a·b_r over a[:n] for the four rows b_r = b[r·ldb:][:n];",
		"n is a multiple of 2·$N.")
	a, b0 := Load(Param("a"), RSI), Load(Param("b"), RDI)
	ldb, n := Load(Param("ldb"), RDX), Load(Param("n"), RCX)
	SHLQ(U8(2), ldb)
	b1, b2, b3 := R8, R9, R10
	LEAQ(Mem{Base: b0, Index: ldb, Scale: 1}, b1)
	LEAQ(Mem{Base: b1, Index: ldb, Scale: 1}, b2)
	LEAQ(Mem{Base: b2, Index: ldb, Scale: 1}, b3)
	rows := []Register{b0, b1, b2, b3}
	u := s.bank(2, Z0, Z1)
	acc := [][]VecPhysical{s.bank(2, Z2, Z3), s.bank(2, Z5, Z6), s.bank(2, Z7, Z8),
		s.bank(2, Z9, Z10)}
	reduce(s, n, 2*s.lanes, acc, func(off Register) {
		for k := range u {
			VMOVUPS(at(a, off).Offset(k*s.bytes()), u[k])
		}
		for k := range u {
			for r, row := range rows {
				VFMADD231PS(at(row, off).Offset(k*s.bytes()), u[k], acc[r][k])
			}
		}
	})
}

// maxPool emits maxPool2x2 for planes of width w, a multiple of 16: per pair of
// input rows, steps of 16 floats from each, eight windows a step.
func maxPool(s isa) {
	s.text("maxPool2x2", "func(dst *float32, idx *int32, src *float32, w, oh int)",
		"$F is maxPool2x2Go on one plane of width w (a multiple of 16)",
		"and oh output rows, eight windows per step.")
	dst, idx, src := Load(Param("dst"), RDI), Load(Param("idx"), RSI), Load(Param("src"), RDX)
	w, oh := Load(Param("w"), RCX), Load(Param("oh"), R8)
	out := maxPoolOut{Mem{Base: dst}, Mem{Base: idx}}
	var step func(top, bottom Mem, pos Register)
	if s == avx512 {
		step = maxPoolStepAVX512(out)
	} else {
		step = maxPoolStepAVX2(out)
	}

	rowPos, r1, blocks, pos := R9, R10, R11, R12
	XORQ(rowPos, rowPos) // 2·oy·w, the plane index of row 2·oy
	Label("row")
	TESTQ(oh, oh)
	JLE(LabelRef("done"))
	LEAQ(Mem{Base: src, Index: w, Scale: 4}, r1)
	MOVQ(rowPos, pos)
	MOVQ(w, blocks)
	SHRQ(U8(4), blocks)
	XORQ(RAX, RAX) // byte offset within the rows

	Label("block")
	step(Mem{Base: src, Index: RAX, Scale: 1}, Mem{Base: r1, Index: RAX, Scale: 1}, pos)
	ADDQ(U8(32), dst)
	ADDQ(U8(32), idx)
	ADDQ(U8(64), RAX)
	ADDQ(U8(16), pos)
	DECQ(blocks)
	JNZ(LabelRef("block"))

	Comment("next pair of rows")
	LEAQ(Mem{Base: r1, Index: w, Scale: 4}, src)
	LEAQ(Mem{Base: rowPos, Index: w, Scale: 2}, rowPos)
	DECQ(oh)
	JMP(LabelRef("row"))

	Label("done")
	ret()
}

// maxPoolOut addresses where a step of max-pooling stores its eight maxima and
// their plane indices.
type maxPoolOut struct{ dst, idx Mem }

// maxPoolStepAVX512 loads the constants of maxPool's AVX-512 steps and returns
// the emitter of one step: the rows of its windows start at top and bottom
// (plane index pos for top).
func maxPoolStepAVX512(out maxPoolOut) func(top, bottom Mem, pos Register) {
	// lane i of the permutations picks element 2i (top-left of window i) or 2i+1
	even := GLOBL("maxPoolEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32((2*i)%16))
	}
	odd := GLOBL("maxPoolOdd", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32((2*i+1)%16))
	}
	VMOVDQU32(even, Z20)
	VMOVDQU32(odd, Z21)
	ones := Z23
	MOVL(U32(1), EAX)
	VPBROADCASTD(EAX, ones)
	VPBROADCASTD(ECX, Z24)

	return func(top, bottom Mem, pos Register) {
		VMOVUPS(top, Z0)
		VMOVUPS(bottom, Z1)
		VPERMPS(Z0, Z20, Z2) // a: top left
		VPERMPS(Z0, Z21, Z3) // b: top right
		VPERMPS(Z1, Z20, Z4) // c: bottom left
		VPERMPS(Z1, Z21, Z5) // d: bottom right
		maxPoolSelectAVX512()

		Comment("indices: top row pos+2i(+1), bottom row pos+w+2i(+1)")
		VPBROADCASTD(pos.(GPPhysical).As32(), Z9)
		VPADDD(Z20, Z9, Z9)
		VPADDD(Z24, Z9, Z10)
		maxPoolIndicesAVX512(out, ones)
	}
}

// maxPoolSelectAVX512 compares the corners a, b, c and d of eight windows in
// Z2 to Z5 as maxPool2x2Go does, leaving the maxima in Z8 and the choices in
// K1 (b over a), K2 (d over c) and K3 (bottom over top).
func maxPoolSelectAVX512() {
	VCMPPS(U8(0x1E), Z2, Z3, K1) // b > a
	VBLENDMPS(Z3, Z2, K1, Z6)    // top
	VCMPPS(U8(0x1E), Z4, Z5, K2) // d > c
	VBLENDMPS(Z5, Z4, K2, Z7)    // bottom
	VCMPPS(U8(0x1E), Z6, Z7, K3) // bottom > top
	VBLENDMPS(Z7, Z6, K3, Z8)
}

// maxPoolIndicesAVX512 picks the indices of the maxima from the plane indices
// of the top-left corners in Z9 and the bottom-left ones in Z10 by the choices
// of maxPoolSelectAVX512, and stores the eight maxima and indices.
func maxPoolIndicesAVX512(out maxPoolOut, ones VecPhysical) {
	VPADDD(ones, Z9, K1, Z9)
	VPADDD(ones, Z10, K2, Z10)
	VPBLENDMD(Z10, Z9, K3, Z11)
	VMOVUPS(Z8.AsY(), out.dst)
	VMOVDQU32(Z11.AsY(), out.idx)
}

// maxPoolStepAVX2 loads the constants of maxPool's AVX2 steps and returns the
// emitter of one step: the rows of its windows start at top and bottom (plane
// index pos for top).
func maxPoolStepAVX2(out maxPoolOut) func(top, bottom Mem, pos Register) {
	corners := maxPoolCornersAVX2("maxPoolCornersAVX2", 8)
	VMOVDQU(corners, Y12)
	VMOVD(ECX, X13)
	VPBROADCASTD(X13, Y13)
	return func(top, bottom Mem, pos Register) {
		maxPoolWindowsAVX2(out, top, bottom, 32, pos, Y12, Y13)
	}
}

// maxPoolCornersAVX2 defines the table name of the plane indices, relative to
// a step's, of the top-left corners of the eight windows maxPoolWindowsAVX2
// handles, whose second four start hi floats after the first.
func maxPoolCornersAVX2(name string, hi int) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(2*(i%4)+hi*(i/4)))
	}
	return m
}

// maxPoolWindowsAVX2 emits maxPool2x2Go on eight windows with AVX2 and stores
// their maxima and indices: the first four windows' rows are the 32 bytes at
// top and at bottom, the last four's the 32 at top+hi and bottom+hi. corners
// holds the plane indices of their top-left corners, relative to pos, and
// below the distance from a top row to its bottom row.
func maxPoolWindowsAVX2(out maxPoolOut, top, bottom Mem, hi int, pos Register,
	corners, below VecPhysical) {
	// halves loads the first 16 bytes of both row pieces at m into first and
	// the second 16 into second, so that shuffles of them keep the windows in
	// order
	halves := func(m Mem, first, second VecPhysical) {
		VMOVUPS(m, first.AsX())
		VINSERTF128(U8(1), m.Offset(hi), first, first)
		VMOVUPS(m.Offset(16), second.AsX())
		VINSERTF128(U8(1), m.Offset(hi+16), second, second)
	}
	halves(top, Y0, Y1)
	halves(bottom, Y2, Y3)
	VSHUFPS(U8(0x88), Y1, Y0, Y4) // a: top left
	VSHUFPS(U8(0xDD), Y1, Y0, Y5) // b: top right
	VSHUFPS(U8(0x88), Y3, Y2, Y6) // c: bottom left
	VSHUFPS(U8(0xDD), Y3, Y2, Y7) // d: bottom right

	Comment("the choices of maxPool2x2Go, as all-ones lanes where true")
	VCMPPS(U8(0x1E), Y4, Y5, Y8)   // b > a
	VBLENDVPS(Y8, Y5, Y4, Y9)      // top
	VCMPPS(U8(0x1E), Y6, Y7, Y10)  // d > c
	VBLENDVPS(Y10, Y7, Y6, Y11)    // bottom
	VCMPPS(U8(0x1E), Y9, Y11, Y14) // bottom > top
	VBLENDVPS(Y14, Y11, Y9, Y0)

	Comment("indices: pos+corner or pos+below+corner, less -1 for a right corner")
	VMOVD(pos.(GPPhysical).As32(), X1)
	VPBROADCASTD(X1, Y1)
	VPADDD(corners, Y1, Y1)
	VPADDD(below, Y1, Y2)
	VPSUBD(Y8, Y1, Y1)
	VPSUBD(Y10, Y2, Y2)
	VBLENDVPS(Y14, Y2, Y1, Y1)
	VMOVUPS(Y0, out.dst)
	VMOVDQU(Y1, out.idx)
}

// maxPoolW8 emits maxPool2x2 for planes of width 8: steps of two output rows,
// 32 input floats and eight windows.
func maxPoolW8(s isa) {
	s.text("maxPool2x2W8", "func(dst *float32, idx *int32, src *float32, pairs int)",
		"$F is maxPool2x2Go on a plane of width 8, two output rows",
		"(32 input floats, eight windows) per step, for pairs steps.")
	dst, idx, src := Load(Param("dst"), RDI), Load(Param("idx"), RSI), Load(Param("src"), RDX)
	pairs := Load(Param("pairs"), RCX)
	out := maxPoolOut{Mem{Base: dst}, Mem{Base: idx}}
	var step func()
	if s == avx512 {
		step = maxPoolW8StepAVX512(out, src)
	} else {
		step = maxPoolW8StepAVX2(out, src)
	}
	XORQ(R9, R9) // plane index of the step's first float

	Label("step")
	TESTQ(pairs, pairs)
	JLE(LabelRef("done"))
	step()
	ADDQ(U8(32), dst)
	ADDQ(U8(32), idx)
	ADDQ(U8(128), src)
	ADDQ(U8(32), R9)
	DECQ(pairs)
	JMP(LabelRef("step"))

	Label("done")
	ret()
}

// maxPoolW8StepAVX512 loads the constants of maxPoolW8's AVX-512 steps and
// returns the emitter of the step at src, plane index R9.
func maxPoolW8StepAVX512(out maxPoolOut, src Register) func() {
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
	for t := range tables {
		VMOVDQU32(tables[t], []VecPhysical{Z20, Z21, Z22, Z23}[t])
	}
	MOVL(U32(1), EAX)
	VPBROADCASTD(EAX, Z24)

	return func() {
		VMOVUPS(Mem{Base: src}, Z0)
		VMOVUPS(Mem{Base: src, Disp: 64}, Z1)
		for t, r := range []VecPhysical{Z2, Z3, Z4, Z5} {
			VMOVDQA32([]VecPhysical{Z20, Z21, Z22, Z23}[t], r)
			VPERMI2PS(Z1, Z0, r)
		}
		maxPoolSelectAVX512()

		Comment("indices: the corner tables offset by the step's position")
		VPBROADCASTD(R9L, Z9)
		VPADDD(Z22, Z9, Z10)
		VPADDD(Z20, Z9, Z9)
		maxPoolIndicesAVX512(out, Z24)
	}
}

// maxPoolW8StepAVX2 loads the constants of maxPoolW8's AVX2 steps and returns
// the emitter of the step at src, plane index R9: its four input rows hold
// the top and bottom rows of the first output row's windows, then the
// second's.
func maxPoolW8StepAVX2(out maxPoolOut, src Register) func() {
	corners := maxPoolCornersAVX2("maxPoolW8CornersAVX2", 16)
	VMOVDQU(corners, Y12)
	MOVL(U32(8), EAX)
	VMOVD(EAX, X13)
	VPBROADCASTD(X13, Y13)
	return func() {
		maxPoolWindowsAVX2(out, Mem{Base: src}, Mem{Base: src, Disp: 32}, 64, R9, Y12, Y13)
	}
}

// adam emits one Adam update over n elements, with the operations of adamGo in
// the same order and no fused multiply-adds, so that it rounds exactly as the
// Go loop does; with decay the gradient gets decay·p added first.
func adam(s isa, decay bool) {
	name, sig := "adam", "func(w, dw, m, v *float32, n int, c *float32)"
	doc := []string{"$F is adamGo over w[:n], dw[:n], m[:n] and v[:n], without weight decay;",
		"n is a multiple of $N."}
	if decay {
		name = "adamDecay"
		doc[0] = "$F is adamGo over w[:n], dw[:n], m[:n] and v[:n], with weight decay;"
	}
	s.text(name, sig, doc...)
	p, g, m, v := Load(Param("w"), RDI), Load(Param("dw"), RSI), Load(Param("m"), RDX),
		Load(Param("v"), R8)
	n, c := Load(Param("n"), RCX), Load(Param("c"), R9)

	// the eight coefficients, in AdamCoefficients' field order
	vec := s.vec
	beta1, rest1, beta2, rest2 := vec(Z8), vec(Z9), vec(Z10), vec(Z11)
	bc2, eps, step, wd := vec(Z12), vec(Z13), vec(Z14), vec(Z15)
	for i, r := range []VecPhysical{beta1, rest1, beta2, rest2, bc2, eps, step, wd} {
		VBROADCASTSS(Mem{Base: c, Disp: 4 * i}, r)
	}

	grad, mom, sq, t := vec(Z0), vec(Z1), vec(Z2), vec(Z3)
	loop(n, s.bytes(), func(off Register) {
		VMOVUPS(at(g, off), grad)
		if decay {
			VMULPS(at(p, off), wd, t)
			VADDPS(t, grad, grad)
		}

		// m ← β1·m + (1 − β1)·g
		VMULPS(at(m, off), beta1, mom)
		VMULPS(grad, rest1, t)
		VADDPS(t, mom, mom)
		VMOVUPS(mom, at(m, off))

		// v ← β2·v + ((1 − β2)·g)·g
		VMULPS(at(v, off), beta2, sq)
		VMULPS(grad, rest2, t)
		VMULPS(grad, t, t)
		VADDPS(t, sq, sq)
		VMOVUPS(sq, at(v, off))

		// p ← p − (step·m) / (√v / bc2 + eps)
		VSQRTPS(sq, sq)
		VDIVPS(bc2, sq, sq)
		VADDPS(eps, sq, sq)
		VMULPS(mom, step, mom)
		VDIVPS(sq, mom, mom)
		VMOVUPS(at(p, off), t)
		VSUBPS(mom, t, t)
		VMOVUPS(t, at(p, off))
	})
	ret()
}
