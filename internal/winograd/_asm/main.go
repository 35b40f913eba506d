// Command _asm generates the amd64 loops of package winograd with avo: the
// input and output transforms of Winograd F(2×2, 3×3) and the adjoint of the
// output transform, four tiles at a time in 128-bit AVX registers, and the
// input and output transforms of F(4×4, 3×3), eight tiles at a time in
// 256-bit AVX registers.
//
// Run it through go generate in the parent directory:
//
//	go run . -out ../transform_amd64.s -stubs ../transform_amd64_stubs.go -pkg winograd
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	inputRow()
	outputRow("outputRowAVX", false)
	outputRow("outputRowAddAVX", true)
	gradientRow()
	splitRow()
	constants()
	input4()
	output4("output4AVX", false)
	output4("output4AddAVX", true)
	gradient4()
	padRows()
	Generate()
}

// param loads the pointer or integer parameter name into a new register.
func param(name string) GPVirtual {
	r := GP64()
	Load(Param(name), r)
	return r
}

// inputRow emits the input transform of one row of tiles: for every group of
// four tiles it loads the four even and four odd padded input rows they cover,
// at the group's column and one column on, and stores the 16 values of Bᵀ d B
// for each tile.
func inputRow() {
	TEXT("inputRowAVX", NOSPLIT,
		"func(dst *float32, ld int, even, odd *float32, pld int, groups int)")
	Pragma("noescape")
	Doc("inputRowAVX writes Bᵀ d B of tiles [0, 4·groups) of one row of tiles:",
		"position ξ of tile t goes to dst[ξ·ld + t]. even and odd are the even and",
		"odd columns of the four zero-padded input rows, rows pld apart.")
	dst, ld := param("dst"), param("ld")
	even, odd := param("even"), param("odd")
	pld, groups := param("pld"), param("groups")
	SHLQ(U8(2), ld)
	SHLQ(U8(2), pld)

	// rows[set][r] addresses input row r of one column set
	var rows [2][4]GPVirtual
	for set, base := range []GPVirtual{even, odd} {
		for r := 0; r < 4; r++ {
			rows[set][r] = GP64()
			if r == 0 {
				MOVQ(base, rows[set][r])
			} else {
				MOVQ(rows[set][r-1], rows[set][r])
				ADDQ(pld, rows[set][r])
			}
		}
	}

	q := GP64()
	Label("group")
	CMPQ(groups, Imm(0))
	JE(LabelRef("done"))

	// the column sets: even at the tile's column (a), odd at it (b), even one
	// on (c), odd one on (d)
	sets := [4]struct{ set, off int }{{0, 0}, {1, 0}, {0, 4}, {1, 4}}

	// bt returns row i of Bᵀ d for one column set
	bt := func(set, off, i int) VecVirtual {
		at := func(r int) Mem { return Mem{Base: rows[set][r], Disp: off} }
		first, second, op := [4]int{0, 1, 2, 1}, [4]int{2, 2, 1, 3}, VSUBPS
		if i == 1 {
			op = VADDPS
		}
		x, out := XMM(), XMM()
		VMOVUPS(at(first[i]), x)
		op(at(second[i]), x, out) // d0 − d2, d1 + d2, d2 − d1, d1 − d3
		return out
	}
	MOVQ(dst, q)
	for i := 0; i < 4; i++ {
		var col [4]VecVirtual
		for j, st := range sets {
			col[j] = bt(st.set, st.off, i)
		}
		a, b, c, d := col[0], col[1], col[2], col[3]
		outs := [4]VecVirtual{XMM(), XMM(), XMM(), XMM()}
		VSUBPS(c, a, outs[0]) // a − c
		VADDPS(c, b, outs[1]) // b + c
		VSUBPS(b, c, outs[2]) // c − b
		VSUBPS(d, b, outs[3]) // b − d
		for _, o := range outs {
			VMOVUPS(o, Mem{Base: q})
			ADDQ(ld, q)
		}
	}

	for set := range rows {
		for r := range rows[set] {
			ADDQ(Imm(16), rows[set][r])
		}
	}
	ADDQ(Imm(16), dst)
	DECQ(groups)
	JMP(LabelRef("group"))

	Label("done")
	RET()
}

// outputRow emits the output transform of one row of tiles: for every group
// of four tiles it loads their 16 products, forms the 2×2 outputs Aᵀ M A plus
// the bias, and stores (or, with add, adds) them to two output rows.
func outputRow(name string, add bool) {
	TEXT(name, NOSPLIT,
		"func(plane *float32, w int, m *float32, ld int, groups int, bias float32)")
	Pragma("noescape")
	verb := "writes"
	if add {
		verb = "adds"
	}
	Doc(fmt.Sprintf("%s %s Aᵀ M A plus bias for tiles [0, 4·groups) of one row of", name, verb),
		"tiles to the two output rows at plane, w apart: position ξ of tile t is",
		"m[ξ·ld + t].")
	plane, w := param("plane"), param("w")
	m, ld := param("m"), param("ld")
	groups := param("groups")
	SHLQ(U8(2), w)
	SHLQ(U8(2), ld)
	ld4, ld12 := GP64(), GP64()
	MOVQ(ld, ld4)
	SHLQ(U8(2), ld4)
	MOVQ(ld4, ld12)
	ADDQ(ld4, ld12)
	ADDQ(ld4, ld12)
	bias := XMM()
	b, err := Param("bias").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(b.Addr, bias)

	q := GP64()
	Label("group")
	CMPQ(groups, Imm(0))
	JE(LabelRef("done"))

	// Aᵀ M: s0[k] = m0k + m1k + m2k, s1[k] = m1k − m2k − m3k, where mjk, position
	// 4j+k, lies at q + j·4·ld for q = m + k·ld
	var s0, s1 [4]VecVirtual
	MOVQ(m, q)
	for k := 0; k < 4; k++ {
		at := []Mem{{Base: q}, {Base: q, Index: ld4, Scale: 1}, {Base: q, Index: ld4, Scale: 2},
			{Base: q, Index: ld12, Scale: 1}}
		s0[k], s1[k] = XMM(), XMM()
		x, y := XMM(), XMM()
		VMOVUPS(at[0], x)
		VADDPS(at[1], x, s0[k])
		VADDPS(at[2], s0[k], s0[k])
		VMOVUPS(at[1], y)
		VSUBPS(at[2], y, s1[k])
		VSUBPS(at[3], s1[k], s1[k])
		if k < 3 {
			ADDQ(ld, q)
		}
	}

	// (Aᵀ M) A plus the bias, then the two tiles' columns interleaved
	row := func(s [4]VecVirtual, at Mem) {
		left, right := XMM(), XMM()
		VADDPS(s[1], s[0], left)
		VADDPS(s[2], left, left)
		VADDPS(bias, left, left)
		VSUBPS(s[2], s[1], right)
		VSUBPS(s[3], right, right)
		VADDPS(bias, right, right)
		lo, hi := XMM(), XMM()
		VUNPCKLPS(right, left, lo)
		VUNPCKHPS(right, left, hi)
		if add {
			VADDPS(at, lo, lo)
			VADDPS(at.Offset(16), hi, hi)
		}
		VMOVUPS(lo, at)
		VMOVUPS(hi, at.Offset(16))
	}
	row(s0, Mem{Base: plane})
	row(s1, Mem{Base: plane, Index: w, Scale: 1})

	ADDQ(Imm(32), plane)
	ADDQ(Imm(16), m)
	DECQ(groups)
	JMP(LabelRef("group"))

	Label("done")
	RET()
}

// gradientRow emits the adjoint of the output transform for one row of tiles:
// for every group of four tiles it loads their 2×2 output gradients from two
// rows and stores the 16 values of A dY Aᵀ for each tile.
func gradientRow() {
	TEXT("gradientRowAVX", NOSPLIT,
		"func(dst *float32, ld int, plane *float32, w int, groups int)")
	Pragma("noescape")
	Doc("gradientRowAVX writes A dY Aᵀ of tiles [0, 4·groups) of one row of tiles,",
		"whose 2×2 blocks dY lie in the two rows at plane, w apart: position ξ of",
		"tile t goes to dst[ξ·ld + t].")
	dst, ld := param("dst"), param("ld")
	plane, w := param("plane"), param("w")
	groups := param("groups")
	SHLQ(U8(2), ld)
	SHLQ(U8(2), w)
	zero := XMM()
	VXORPS(zero, zero, zero)

	q := GP64()
	Label("group")
	CMPQ(groups, Imm(0))
	JE(LabelRef("done"))

	// a, b: the left and right columns of the top row of each tile; c, d those
	// of the bottom row
	split := func(at Mem) (left, right VecVirtual) {
		lo, hi := XMM(), XMM()
		VMOVUPS(at, lo)
		VMOVUPS(at.Offset(16), hi)
		left, right = XMM(), XMM()
		VSHUFPS(U8(0x88), hi, lo, left)
		VSHUFPS(U8(0xDD), hi, lo, right)
		return left, right
	}
	a, b := split(Mem{Base: plane})
	c, d := split(Mem{Base: plane, Index: w, Scale: 1})

	// A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d); then each row
	// (p, q) times Aᵀ is (p, p + q, p − q, −q)
	type pair struct{ p, q VecVirtual }
	var rows [4]pair
	rows[0] = pair{a, b}
	rows[1] = pair{XMM(), XMM()}
	VADDPS(c, a, rows[1].p)
	VADDPS(d, b, rows[1].q)
	rows[2] = pair{XMM(), XMM()}
	VSUBPS(c, a, rows[2].p)
	VSUBPS(d, b, rows[2].q)
	rows[3] = pair{XMM(), XMM()}
	VSUBPS(c, zero, rows[3].p)
	VSUBPS(d, zero, rows[3].q)
	MOVQ(dst, q)
	for _, r := range rows {
		outs := [4]VecVirtual{r.p, XMM(), XMM(), XMM()}
		VADDPS(r.q, r.p, outs[1])
		VSUBPS(r.q, r.p, outs[2])
		VSUBPS(r.q, zero, outs[3])
		for _, o := range outs {
			VMOVUPS(o, Mem{Base: q})
			ADDQ(ld, q)
		}
	}

	ADDQ(Imm(32), plane)
	ADDQ(Imm(16), dst)
	DECQ(groups)
	JMP(LabelRef("group"))

	Label("done")
	RET()
}

// splitRow emits the split of one input row into its even and odd columns,
// eight columns at a time.
func splitRow() {
	TEXT("splitRowAVX", NOSPLIT, "func(even, odd, x *float32, groups int)")
	Pragma("noescape")
	Doc("splitRowAVX writes x[2j] to even[j] and x[2j+1] to odd[j] for j < 4·groups.")
	even, odd, x := param("even"), param("odd"), param("x")
	groups := param("groups")

	Label("group")
	CMPQ(groups, Imm(0))
	JE(LabelRef("done"))
	lo, hi, e, o := XMM(), XMM(), XMM(), XMM()
	VMOVUPS(Mem{Base: x}, lo)
	VMOVUPS(Mem{Base: x, Disp: 16}, hi)
	VSHUFPS(U8(0x88), hi, lo, e)
	VSHUFPS(U8(0xDD), hi, lo, o)
	VMOVUPS(e, Mem{Base: even})
	VMOVUPS(o, Mem{Base: odd})
	ADDQ(Imm(32), x)
	ADDQ(Imm(16), even)
	ADDQ(Imm(16), odd)
	DECQ(groups)
	JMP(LabelRef("group"))

	Label("done")
	RET()
}

// two, four, five and eight hold eight copies of their value, for the
// multiplications of the F(4×4, 3×3) transforms.
var two, four, five, eight Mem

func constants() {
	for _, c := range []struct {
		m     *Mem
		name  string
		value float32
	}{{&two, "two", 2}, {&four, "four", 4}, {&five, "five", 5}, {&eight, "eight", 8}} {
		*c.m = GLOBL(c.name, RODATA|NOPTR)
		for i := 0; i < 8; i++ {
			DATA(4*i, U32(math.Float32bits(c.value))) // F32 would print an integer
		}
	}
}

// bt6 emits Bᵀ d for six vectors d, the operations and their order those of
// the Go function bt6, without fused multiply-adds.
func bt6(d [6]VecVirtual) [6]VecVirtual {
	var t [6]VecVirtual
	for i := range t {
		t[i] = YMM()
	}
	x, y := YMM(), YMM()

	// (4·d0 − 5·d2) + d4 and (4·d1 − 5·d3) + d5
	VMULPS(four, d[0], x)
	VMULPS(five, d[2], y)
	VSUBPS(y, x, t[0])
	VADDPS(d[4], t[0], t[0])
	VMULPS(four, d[1], x)
	VMULPS(five, d[3], y)
	VSUBPS(y, x, t[5])
	VADDPS(d[5], t[5], t[5])

	// (d3 + d4) − 4·(d1 + d2) and (d4 − d3) + 4·(d1 − d2)
	VADDPS(d[4], d[3], x)
	VADDPS(d[2], d[1], y)
	VMULPS(four, y, y)
	VSUBPS(y, x, t[1])
	VSUBPS(d[3], d[4], x)
	VSUBPS(d[2], d[1], y)
	VMULPS(four, y, y)
	VADDPS(y, x, t[2])

	// (d4 − d2) ± 2·(d3 − d1)
	VSUBPS(d[2], d[4], x)
	VSUBPS(d[1], d[3], y)
	VMULPS(two, y, y)
	VADDPS(y, x, t[3])
	VSUBPS(y, x, t[4])
	return t
}

// at6 emits Aᵀ m for six vectors m, as the Go function at6 computes it.
func at6(m [6]VecVirtual) [4]VecVirtual {
	a, b, c, d := YMM(), YMM(), YMM(), YMM()
	VADDPS(m[2], m[1], a)
	VSUBPS(m[2], m[1], b)
	VADDPS(m[4], m[3], c)
	VSUBPS(m[4], m[3], d)
	var s [4]VecVirtual
	for i := range s {
		s[i] = YMM()
	}
	VADDPS(a, m[0], s[0])
	VADDPS(c, s[0], s[0])
	VMULPS(two, d, s[1])
	VADDPS(s[1], b, s[1])
	VMULPS(four, c, s[2])
	VADDPS(s[2], a, s[2])
	VMULPS(eight, d, s[3])
	VADDPS(s[3], b, s[3])
	VADDPS(m[5], s[3], s[3])
	return s
}

// transpose4 transposes the 4×4 blocks of the four vectors r within each
// 128-bit half: afterwards vector k holds element k of r[0..3] in each half.
// Only the first n results are formed.
func transpose4(r [4]VecVirtual, n int) [4]VecVirtual {
	t0, t2 := YMM(), YMM()
	VUNPCKLPS(r[1], r[0], t0) // r0[0] r1[0] r0[1] r1[1]
	VUNPCKLPS(r[3], r[2], t2) // r2[0] r3[0] r2[1] r3[1]
	var out [4]VecVirtual
	out[0], out[1] = YMM(), YMM()
	VSHUFPS(U8(0x44), t2, t0, out[0])
	VSHUFPS(U8(0xEE), t2, t0, out[1])
	if n > 2 {
		t1, t3 := YMM(), YMM()
		VUNPCKHPS(r[1], r[0], t1) // r0[2] r1[2] r0[3] r1[3]
		VUNPCKHPS(r[3], r[2], t3)
		out[2], out[3] = YMM(), YMM()
		VSHUFPS(U8(0x44), t3, t1, out[2])
		VSHUFPS(U8(0xEE), t3, t1, out[3])
	}
	return out
}

// tilePointers loads the eight offsets at offs into ptrs as addresses of
// float32s from the pointer at base.
func tilePointers(ptrs []Register, base Mem, offs Register) {
	for k, p := range ptrs {
		MOVLQSX(Mem{Base: offs, Disp: 4 * k}, p)
		SHLQ(U8(2), p)
		ADDQ(base, p)
	}
}

// input4 emits the F(4×4, 3×3) input transform of groups of eight tiles. For
// each of the six rows of the tiles' windows it loads eight values of every
// tile, transposes them into one vector per column and applies B across the
// row (E), then it applies Bᵀ down each column of E, storing the eight tiles'
// values of each position together.
func input4() {
	TEXT("input4AVX", 0, // a frame too large for NOSPLIT
		"func(v *float32, ldBytes int, src *float32, offs *int32, pitchBytes int, groups int)")
	Pragma("noescape")
	Doc("input4AVX writes Bᵀ d B of tiles [0, 8·groups): tile j is the 6×6 window",
		"from src[offs[j]], rows pitchBytes apart, and its position ξ goes to the",
		"float at byte ξ·ldBytes + 4·j from v.")
	f := newFrame4("v", 36)
	v, offs, groups, ptrs, row := f.pos, f.offs, f.groups, f.ptrs, f.row
	pitchMem := paramMem("pitchBytes")
	eAt := f.vec
	groupLoop(groups)
	tilePointers(ptrs, paramMem("src"), offs)

	// E = d B: row r of every window, one vector per column, then B across it
	XORQ(row, row)
	for r := 0; r < 6; r++ {
		var cols [6]VecVirtual
		for half := 0; half < 2; half++ {
			// tiles k and k+4 in the two halves of vector k, columns 0–3 of
			// their rows or 4–7
			var rows [4]VecVirtual
			for k := range rows {
				at := func(p Register) Mem { return Mem{Base: p, Index: row, Scale: 1} }
				y := YMM()
				VMOVUPS(at(ptrs[k]), y)
				rows[k] = YMM()
				VPERM2F128(U8(0x20+0x11*half), at(ptrs[k+4]), y, rows[k])
			}
			n := 4 - 2*half
			out := transpose4(rows, n)
			copy(cols[4*half:], out[:n])
		}
		for j, x := range bt6(cols) {
			VMOVUPS(x, eAt(r, j))
		}
		if r < 5 {
			ADDQ(pitchMem, row)
		}
	}

	// Bᵀ E, column by column, to positions 6i+j
	columns(f, 6, eAt, func(e []VecVirtual) []VecVirtual {
		t := bt6([6]VecVirtual(e))
		return t[:]
	})
	nextGroup(v, offs, groups)
}

// columns emits the second pass of a transform: for each column j of the six
// of the first pass's results, the rows vectors at(0, j), at(1, j), … are
// loaded and transformed into six, which go to positions 6i+j from f.pos.
// f.q and f.p are clobbered.
func columns(f frame4, rows int, at func(r, j int) Mem,
	transform func([]VecVirtual) []VecVirtual) {
	q, p, ldMem, ld6 := f.q, f.p, f.ldMem, f.ld6
	MOVQ(f.pos, q)
	for j := 0; j < 6; j++ {
		in := make([]VecVirtual, rows)
		for r := range in {
			in[r] = YMM()
			VMOVUPS(at(r, j), in[r])
		}
		MOVQ(q, p)
		for i, x := range transform(in) {
			VMOVUPS(x, Mem{Base: p})
			if i < 5 {
				ADDQ(ld6, p)
			}
		}
		if j < 5 {
			ADDQ(ldMem, q)
		}
	}
}

// nextGroup emits the end of a loop over groups of eight tiles: the
// transformed positions at pos and the offsets at offs move on by eight, and
// the loop goes on while groups, counted down, is not zero.
func nextGroup(pos, offs, groups Register) {
	ADDQ(Imm(32), pos)
	ADDQ(Imm(32), offs)
	DECQ(groups)
	JMP(LabelRef("group"))

	Label("done")
	VZEROUPPER()
	RET()
}

// sixTimes stores six times the parameter at ldMem into ld6, using r.
func sixTimes(ldMem, ld6 Mem, r Register) {
	MOVQ(ldMem, r)
	IMUL3Q(Imm(6), r, r)
	MOVQ(r, ld6)
}

// groupLoop emits the head of a loop over groups of eight tiles, done when
// groups is zero.
func groupLoop(groups Register) {
	Label("group")
	CMPQ(groups, Imm(0))
	JE(LabelRef("done"))
}

// frame4 holds the registers and stack of an F(4×4, 3×3) transform over
// groups of eight tiles. They are physical registers: avo's allocator fails
// to place this many.
type frame4 struct {
	pos, offs, groups Register   // the transformed positions, the offsets, groups left
	ptrs              []Register // the addresses of a group's eight tiles
	row, q, p         Register   // scratch; p doubles as the last tile's address
	ldMem, ld6        Mem        // the positions' stride in bytes, and six times it
	local             Mem        // vectors of the first pass, six a row
}

// newFrame4 loads the parameters pos (the transformed positions), offs and
// groups, and keeps room for vectors vectors of the first pass.
func newFrame4(pos string, vectors int) frame4 {
	f := frame4{
		pos: Load(Param(pos), RDI), offs: Load(Param("offs"), RSI),
		groups: Load(Param("groups"), RCX),
		ptrs:   []Register{RBX, R8, R9, R10, R11, R12, R13, RDX},
		row:    RAX, q: R14, p: RDX,
		ldMem: paramMem("ldBytes"), local: AllocLocal(32*vectors + 8),
	}
	f.ld6 = f.local.Offset(32 * vectors)
	sixTimes(f.ldMem, f.ld6, f.row)
	return f
}

// vec addresses vector (r, j) of the first pass, six a row.
func (f frame4) vec(r, j int) Mem { return f.local.Offset(32 * (6*r + j)) }

// output4 emits the F(4×4, 3×3) output transform of groups of eight tiles:
// Aᵀ down each column of the tiles' transformed products (S), then across
// each row plus the bias, transposed back into one row of four values per
// tile, which it stores (or, with add, adds) at the tile's place.
func output4(name string, add bool) {
	TEXT(name, 0, // a frame too large for NOSPLIT
		"func(dst *float32, wBytes int, offs *int32, m *float32, ldBytes int, groups int, "+
			"bias float32)")
	Pragma("noescape")
	verb := "writes"
	if add {
		verb = "adds"
	}
	Doc(fmt.Sprintf("%s %s Aᵀ M A plus bias for tiles [0, 8·groups): position ξ of", name, verb),
		"tile j is the float at byte ξ·ldBytes + 4·j from m, and its 4×4 block goes",
		"to dst[offs[j]:], rows wBytes apart.")
	f := newFrame4("m", 24)
	m, offs, groups, ptrs, row, q, p := f.pos, f.offs, f.groups, f.ptrs, f.row, f.q, f.p
	wMem, ldMem, ld6 := paramMem("wBytes"), f.ldMem, f.ld6
	sAt := f.vec
	bias := YMM()
	b, err := Param("bias").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(b.Addr, bias)

	groupLoop(groups)

	// S = Aᵀ M, column by column: position 6i+j at m + j·ld + i·6·ld
	MOVQ(m, q)
	for j := 0; j < 6; j++ {
		var col [6]VecVirtual
		MOVQ(q, p)
		for i := range col {
			col[i] = YMM()
			VMOVUPS(Mem{Base: p}, col[i])
			if i < 5 {
				ADDQ(ld6, p)
			}
		}
		for r, x := range at6(col) {
			VMOVUPS(x, sAt(r, j))
		}
		if j < 5 {
			ADDQ(ldMem, q)
		}
	}

	// S A plus the bias, row by row, then one row of four per tile
	tilePointers(ptrs, paramMem("dst"), offs) // p is free by then
	XORQ(row, row)
	for r := 0; r < 4; r++ {
		var s [6]VecVirtual
		for j := range s {
			s[j] = YMM()
			VMOVUPS(sAt(r, j), s[j])
		}
		y := at6(s)
		for c := range y {
			VADDPS(bias, y[c], y[c])
		}
		out := transpose4(y, 4)
		for k := 0; k < 4; k++ {
			hi := XMM()
			VEXTRACTF128(U8(1), out[k], hi)
			for _, st := range []struct {
				x   Register
				ptr Register
			}{{out[k].AsX(), ptrs[k]}, {hi, ptrs[k+4]}} {
				at := Mem{Base: st.ptr, Index: row, Scale: 1}
				if add {
					VADDPS(at, st.x, st.x)
				}
				VMOVUPS(st.x, at)
			}
		}
		if r < 3 {
			ADDQ(wMem, row)
		}
	}

	nextGroup(m, offs, groups)
}

// paramMem returns the stack address of the parameter name.
func paramMem(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// a6 emits A y for four vectors y, as the Go function a6 computes it.
func a6(y [4]VecVirtual) [6]VecVirtual {
	a, b, c, d := YMM(), YMM(), YMM(), YMM()
	VADDPS(y[2], y[0], a)
	VADDPS(y[3], y[1], b)
	VMULPS(four, y[2], c)
	VADDPS(c, y[0], c)
	x := YMM()
	VMULPS(two, y[1], d)
	VMULPS(eight, y[3], x)
	VADDPS(x, d, d)
	e := [6]VecVirtual{y[0], YMM(), YMM(), YMM(), YMM(), y[3]}
	VADDPS(b, a, e[1])
	VSUBPS(b, a, e[2])
	VADDPS(d, c, e[3])
	VSUBPS(d, c, e[4])
	return e
}

// gradient4 emits the adjoint of the F(4×4, 3×3) output transform for groups
// of eight tiles: each row of four of every tile's 4×4 block is transposed
// into one vector per column and multiplied by Aᵀ across (T), then A is
// applied down each column of T, the eight tiles' values of each position
// stored together.
func gradient4() {
	TEXT("gradient4AVX", 0, // a frame too large for NOSPLIT
		"func(m *float32, ldBytes int, dy *float32, wBytes int, offs *int32, groups int)")
	Pragma("noescape")
	Doc("gradient4AVX writes A dY Aᵀ of tiles [0, 8·groups): tile j's 4×4 block dY",
		"is at dy[offs[j]:], rows wBytes apart, and its position ξ goes to the float",
		"at byte ξ·ldBytes + 4·j from m.")
	f := newFrame4("m", 24)
	m, offs, groups, ptrs, row := f.pos, f.offs, f.groups, f.ptrs, f.row
	wMem := paramMem("wBytes")
	tAt := f.vec
	groupLoop(groups)
	tilePointers(ptrs, paramMem("dy"), offs)

	// T = dY Aᵀ: row r of every block, one vector per column, then Aᵀ across
	XORQ(row, row)
	for r := 0; r < 4; r++ {
		var rows [4]VecVirtual
		for k := range rows {
			at := func(p Register) Mem { return Mem{Base: p, Index: row, Scale: 1} }
			rows[k] = YMM()
			VBROADCASTF128(at(ptrs[k]), rows[k])
			VINSERTF128(U8(1), at(ptrs[k+4]), rows[k], rows[k])
		}
		for j, x := range a6(transpose4(rows, 4)) {
			VMOVUPS(x, tAt(r, j))
		}
		if r < 3 {
			ADDQ(wMem, row)
		}
	}

	// A T, column by column, to positions 6i+j
	columns(f, 4, tAt, func(t []VecVirtual) []VecVirtual {
		e := a6([4]VecVirtual(t))
		return e[:]
	})
	nextGroup(m, offs, groups)
}

// padRows emits the copy of rows of whole blocks of eight values into a
// padded plane, a block at a time, which for short rows costs a fraction of a
// call to copy for each.
func padRows() {
	TEXT("padRowsAVX", NOSPLIT, "func(dst *float32, pitchBytes int, src *float32, blocks, rows int)")
	Pragma("noescape")
	Doc("padRowsAVX copies rows rows of 8·blocks values from src, one after the",
		"other, to dst, rows pitchBytes apart.")
	dst, pitch, src := param("dst"), param("pitchBytes"), param("src")
	blocks, rows := param("blocks"), param("rows")
	SHLQ(U8(5), blocks) // bytes a row
	x, off := YMM(), GP64()

	Label("row")
	CMPQ(rows, Imm(0))
	JE(LabelRef("done"))
	XORQ(off, off)
	Label("block")
	VMOVUPS(Mem{Base: src, Index: off, Scale: 1}, x)
	VMOVUPS(x, Mem{Base: dst, Index: off, Scale: 1})
	ADDQ(Imm(32), off)
	CMPQ(off, blocks)
	JL(LabelRef("block"))
	ADDQ(blocks, src)
	ADDQ(pitch, dst)
	DECQ(rows)
	JMP(LabelRef("row"))

	Label("done")
	VZEROUPPER()
	RET()
}
