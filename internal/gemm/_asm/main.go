// Command _asm generates the amd64 micro-kernels of package gemm with avo.
//
// Run it through go generate in the parent directory:
//
//	go run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg gemm
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// kernelSignature is shared by every micro-kernel: acc = Apanel×Bpanel over kc steps, then
// C tile (mr×nr, row stride ldc floats) = alpha*acc + beta*C tile, with C not read when beta == 0.
const kernelSignature = "func(kc int, a, b, c *float32, ldc int, alpha, beta float32)"

func main() {
	ConstraintExpr("amd64,!purego")
	zmm := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	ymm := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	xmm := []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}

	kernel("kernelAVX512x8x32", 8, 2, 16, zmm, "AVX-512F")
	kernel("kernelAVX2x6x16", 6, 2, 8, ymm, "AVX2 and FMA")
	transpose8(ymm)
	interleave6(xmm)
	copyPanel("copyPanel32", 4, ymm)
	copyPanel("copyPanel16", 2, ymm)
	Generate()
}

// kernel emits one mr×(vecs*lanes) micro-kernel that broadcasts A and keeps mr*vecs
// accumulator registers.
func kernel(name string, mr, vecs, lanes int, regs []VecPhysical, isa string) {
	nr := vecs * lanes
	TEXT(name, NOSPLIT, kernelSignature)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes one %d×%d tile of C with %s.", name, mr, nr, isa))

	acc := regs[:mr*vecs]
	bv := regs[mr*vecs : mr*vecs+vecs]
	bc := regs[mr*vecs+vecs : mr*vecs+vecs+2]
	alphaReg := bv[0]
	betaReg := bv[1]

	kc := RCX
	pa, pb, pc, ldc := RSI, RDI, RDX, R8
	Load(Param("kc"), kc)
	Load(Param("a"), pa)
	Load(Param("b"), pb)
	Load(Param("c"), pc)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)

	Comment("zero the accumulators")
	for _, r := range acc {
		if lanes == 16 {
			VPXORD(r, r, r)
		} else {
			VXORPS(r, r, r)
		}
	}
	TESTQ(kc, kc)
	JLE(LabelRef("epilogue"))

	Comment("two k steps per iteration")
	Label("loop2")
	CMPQ(kc, U8(2))
	JLT(LabelRef("loop1"))
	for u := 0; u < 2; u++ {
		step(mr, vecs, lanes, acc, bv, bc, pa, pb, u)
	}
	ADDQ(U32(2*mr*4), pa)
	ADDQ(U32(2*nr*4), pb)
	SUBQ(U8(2), kc)
	JMP(LabelRef("loop2"))

	Label("loop1")
	TESTQ(kc, kc)
	JLE(LabelRef("epilogue"))
	step(mr, vecs, lanes, acc, bv, bc, pa, pb, 0)

	Label("epilogue")
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	beta, err := Param("beta").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(alpha.Addr, alphaReg)
	for _, r := range acc {
		VMULPS(alphaReg, r, r)
	}

	Comment("beta == 0 (either sign) skips reading C")
	MOVL(beta.Addr, EAX)
	ANDL(U32(0x7fffffff), EAX)
	JZ(LabelRef("store"))
	VBROADCASTSS(beta.Addr, betaReg)
	row := pc
	MOVQ(pc, R9)
	for i := 0; i < mr; i++ {
		for v := 0; v < vecs; v++ {
			VFMADD231PS(Mem{Base: row, Disp: v * lanes * 4}, betaReg, acc[i*vecs+v])
		}
		if i < mr-1 {
			ADDQ(ldc, row)
		}
	}
	MOVQ(R9, pc)

	Label("store")
	for i := 0; i < mr; i++ {
		for v := 0; v < vecs; v++ {
			VMOVUPS(acc[i*vecs+v], Mem{Base: pc, Disp: v * lanes * 4})
		}
		if i < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()
}

// step emits the FMAs of one k step u (0 or 1) relative to the current panel pointers.
func step(mr, vecs, lanes int, acc, bv, bc []VecPhysical, pa, pb Register, u int) {
	nr := vecs * lanes
	for v := 0; v < vecs; v++ {
		VMOVUPS(Mem{Base: pb, Disp: (u*nr + v*lanes) * 4}, bv[v])
	}
	for i := 0; i < mr; i++ {
		r := bc[i%2]
		VBROADCASTSS(Mem{Base: pa, Disp: (u*mr + i) * 4}, r)
		for v := 0; v < vecs; v++ {
			VFMADD231PS(bv[v], r, acc[i*vecs+v])
		}
	}
}

// transpose8 emits the packing helper that transposes blocks of 8×8 floats with AVX: block b
// takes 8 floats at column 8*b of each of 8 source rows (srcStride bytes apart) and writes them
// as 8 destination rows of 8 floats (dstStride bytes apart) starting at row 8*b. Source rows
// from index rows on are not read and count as zeros.
//
// Each register is loaded as two 128-bit halves, four columns of row j below the same four of
// row j+4, so that only in-lane shuffles remain: cross-lane permutes are slow on some CPUs.
func transpose8(y []VecPhysical) {
	TEXT("transpose8x8", NOSPLIT,
		"func(dst *float32, dstStride int, src *float32, srcStride int, rows int, blocks int)")
	Pragma("noescape")
	Doc("transpose8x8 transposes blocks of 8×8 floats between byte-strided rows with AVX;",
		"source rows from index rows on count as zeros.")
	dst, ds, src, ss, rows, n := RDI, R8, RSI, R9, RBX, RCX
	Load(Param("dst"), dst)
	Load(Param("dstStride"), ds)
	Load(Param("src"), src)
	Load(Param("srcStride"), ss)
	Load(Param("rows"), rows)
	Load(Param("blocks"), n)
	src4, rows3, drows3 := RAX, R10, R11
	LEAQ(Mem{Base: ss, Index: ss, Scale: 2}, rows3)
	LEAQ(Mem{Base: src, Index: ss, Scale: 4}, src4)
	LEAQ(Mem{Base: ds, Index: ds, Scale: 2}, drows3)
	rowLoops(rows, n, 0, 8, func(valid int) {
		Comment("y[h*4+j] = columns 4h..4h+3 of row j, then of row j+4")
		for h := 0; h < 2; h++ {
			for j := 0; j < 4; j++ {
				r := y[h*4+j]
				if j >= valid {
					VXORPS(r, r, r)
					continue
				}
				VMOVUPS(rowMem(src, ss, rows3, j, 16*h), r.AsX())
				if j+4 < valid {
					VINSERTF128(U8(1), rowMem(src4, ss, rows3, j, 16*h), r, r)
				}
			}
		}

		Comment("4×4 transposes within each 128-bit lane give destination rows 0-3 and 4-7")
		for h := 0; h < 8; h += 4 {
			transpose4(y[h:h+4], y[8+h:12+h], y[h:h+4])
		}

		Comment("store eight destination rows")
		for i := 0; i < 8; i += 4 {
			for j := 0; j < 4; j++ {
				VMOVUPS(y[i+j], rowMem(dst, ds, drows3, j, 0))
			}
			LEAQ(Mem{Base: dst, Index: ds, Scale: 4}, dst)
		}
		ADDQ(U8(32), src)
		ADDQ(U8(32), src4)
	})
	VZEROUPPER()
	RET()
}

// interleave6 emits the packing helper for six-row panels: block b takes 8 floats at column 8*b
// of each of 6 source rows (srcStride bytes apart) and writes them as 8 consecutive steps of 6
// floats, 48 floats in all, so nothing past the last block is written. Source rows from index
// rows on are not read and count as zeros. It works on 128-bit halves, four steps at a time,
// which keeps every shuffle within one lane.
func interleave6(x []VecPhysical) {
	TEXT("interleave6x8", NOSPLIT, "func(dst, src *float32, srcStride, rows, blocks int)")
	Pragma("noescape")
	Doc("interleave6x8 packs blocks of 8 columns of 6 byte-strided rows as 8 steps of 6",
		"floats with AVX; source rows from index rows on count as zeros.")
	dst, src, ss, rows, n := RDI, RSI, R9, RBX, RCX
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("srcStride"), ss)
	Load(Param("rows"), rows)
	Load(Param("blocks"), n)
	src3, rows3 := RAX, R10
	LEAQ(Mem{Base: ss, Index: ss, Scale: 2}, rows3)
	LEAQ(Mem{Base: src, Index: rows3, Scale: 1}, src3)
	rowLoops(rows, n, 1, 6, func(valid int) {
		for h := 0; h < 2; h++ {
			Comment(fmt.Sprintf("steps %d-%d: four columns of rows 0-5", 4*h, 4*h+3))
			for r := 0; r < 6; r++ {
				if r >= valid {
					VXORPS(x[r], x[r], x[r])
					continue
				}
				base := src
				if r >= 3 {
					base = src3
				}
				VMOVUPS(rowMem(base, ss, rows3, r%3, 16*h), x[r])
			}

			Comment("rows 0-3 of each step, and rows 4-5 of two steps per register")
			steps := x[6:10]
			transpose4(x[0:4], x[10:14], steps)
			VUNPCKLPS(x[5], x[4], x[14])
			VUNPCKHPS(x[5], x[4], x[15])
			for j := 0; j < 4; j++ {
				at := (4*h + j) * 24
				VMOVUPS(steps[j], Mem{Base: dst, Disp: at})
				pair := x[14+j/2]
				if j%2 == 0 {
					VMOVLPS(pair, Mem{Base: dst, Disp: at + 16})
				} else {
					VMOVHPS(pair, Mem{Base: dst, Disp: at + 16})
				}
			}
		}
		ADDQ(U8(32), src)
		ADDQ(U8(32), src3)
		ADDQ(U32(8*24), dst)
	})
	RET()
}

// rowLoops emits one loop per count of valid rows from least to most, each running body(valid)
// once per block for n blocks, and a jump to the loop for rows first: rows <= least runs the
// loop for least and rows >= most the loop for most. All of them end at the label done, which
// rowLoops places after them.
func rowLoops(rows, n Register, least, most int, body func(valid int)) {
	Comment("one loop per count of valid rows")
	CMPQ(rows, U8(least))
	JLE(LabelRef(fmt.Sprintf("rows%d", least)))
	for valid := least + 1; valid < most; valid++ {
		CMPQ(rows, U8(valid))
		JEQ(LabelRef(fmt.Sprintf("rows%d", valid)))
	}
	for valid := most; valid >= least; valid-- {
		loop := fmt.Sprintf("rows%d", valid)
		Label(loop)
		TESTQ(n, n)
		JLE(LabelRef("done"))
		body(valid)
		DECQ(n)
		JMP(LabelRef(loop))
	}
	Label("done")
}

// rowMem addresses row j < 4 of rows stride bytes apart from base (rows3 = 3*stride), plus disp.
func rowMem(base, stride, rows3 Register, j, disp int) Mem {
	switch j {
	case 0:
		return Mem{Base: base, Disp: disp}
	case 3:
		return Mem{Base: base, Index: rows3, Scale: 1, Disp: disp}
	default:
		return Mem{Base: base, Index: stride, Scale: uint8(j), Disp: disp}
	}
}

// transpose4 transposes the 4×4 blocks of in (four rows per 128-bit lane) into out through tmp;
// out may be in.
func transpose4(in, tmp, out []VecPhysical) {
	VUNPCKLPS(in[1], in[0], tmp[0])
	VUNPCKHPS(in[1], in[0], tmp[1])
	VUNPCKLPS(in[3], in[2], tmp[2])
	VUNPCKHPS(in[3], in[2], tmp[3])
	VSHUFPS(U8(0x44), tmp[2], tmp[0], out[0])
	VSHUFPS(U8(0xEE), tmp[2], tmp[0], out[1])
	VSHUFPS(U8(0x44), tmp[3], tmp[1], out[2])
	VSHUFPS(U8(0xEE), tmp[3], tmp[1], out[3])
}

// copyPanel emits a packing helper that copies kc rows of vecs×8 floats, srcStride bytes
// apart, into consecutive rows of dst with AVX.
func copyPanel(name string, vecs int, y []VecPhysical) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, srcStride, kc int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s copies kc rows of %d floats, srcStride bytes apart, to consecutive rows "+
		"of dst with AVX.", name, vecs*8))
	dst, src, ss, n := RDI, RSI, R8, RCX
	Load(Param("dst"), dst)
	Load(Param("src"), src)
	Load(Param("srcStride"), ss)
	Load(Param("kc"), n)
	Label("row")
	TESTQ(n, n)
	JLE(LabelRef("done"))
	for v := 0; v < vecs; v++ {
		VMOVUPS(Mem{Base: src, Disp: 32 * v}, y[v])
	}
	for v := 0; v < vecs; v++ {
		VMOVUPS(y[v], Mem{Base: dst, Disp: 32 * v})
	}
	ADDQ(ss, src)
	ADDQ(U32(32*vecs), dst)
	DECQ(n)
	JMP(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}
