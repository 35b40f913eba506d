// Command _asm generates the amd64 loops of package winograd with avo: the
// input and output transforms of Winograd F(2×2, 3×3) and the adjoint of the
// output transform, four tiles at a time in 128-bit AVX registers.
//
// Run it through go generate in the parent directory:
//
//	go run . -out ../transform_amd64.s -stubs ../transform_amd64_stubs.go -pkg winograd
package main

import (
	"fmt"

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
