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

	kernel("kernelAVX512x8x32", 8, 2, 16, zmm, "AVX-512F")
	kernel("kernelAVX2x6x16", 6, 2, 8, ymm, "AVX2 and FMA")
	transpose8(ymm)
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
// as 8 destination rows of 8 floats (dstStride bytes apart) starting at row 8*b.
func transpose8(y []VecPhysical) {
	TEXT("transpose8x8", NOSPLIT,
		"func(dst *float32, dstStride int, src *float32, srcStride int, blocks int)")
	Pragma("noescape")
	Doc("transpose8x8 transposes blocks 8×8 floats between byte-strided rows with AVX.")
	dst, ds, src, ss, n := RDI, R8, RSI, R9, RCX
	Load(Param("dst"), dst)
	Load(Param("dstStride"), ds)
	Load(Param("src"), src)
	Load(Param("srcStride"), ss)
	Load(Param("blocks"), n)
	row, rows3 := RAX, R10
	LEAQ(Mem{Base: ss, Index: ss, Scale: 2}, rows3)

	Label("block")
	TESTQ(n, n)
	JLE(LabelRef("done"))

	Comment("load eight source rows")
	MOVQ(src, row)
	for i := 0; i < 8; i += 4 {
		VMOVUPS(Mem{Base: row}, y[i])
		VMOVUPS(Mem{Base: row, Index: ss, Scale: 1}, y[i+1])
		VMOVUPS(Mem{Base: row, Index: ss, Scale: 2}, y[i+2])
		VMOVUPS(Mem{Base: row, Index: rows3, Scale: 1}, y[i+3])
		LEAQ(Mem{Base: row, Index: ss, Scale: 4}, row)
	}

	Comment("interleave pairs, then quads, then 128-bit halves")
	for i := 0; i < 8; i += 2 {
		VUNPCKLPS(y[i+1], y[i], y[8+i])
		VUNPCKHPS(y[i+1], y[i], y[9+i])
	}
	for g := 0; g < 8; g += 4 {
		t := y[8+g:]
		VSHUFPS(U8(0x44), t[2], t[0], y[g])
		VSHUFPS(U8(0xEE), t[2], t[0], y[g+1])
		VSHUFPS(U8(0x44), t[3], t[1], y[g+2])
		VSHUFPS(U8(0xEE), t[3], t[1], y[g+3])
	}
	for j := 0; j < 4; j++ {
		VPERM2F128(U8(0x20), y[j+4], y[j], y[8+j])
		VPERM2F128(U8(0x31), y[j+4], y[j], y[12+j])
	}

	Comment("store eight destination rows")
	MOVQ(dst, row)
	LEAQ(Mem{Base: ds, Index: ds, Scale: 2}, R11)
	for i := 0; i < 8; i += 4 {
		VMOVUPS(y[8+i], Mem{Base: row})
		VMOVUPS(y[9+i], Mem{Base: row, Index: ds, Scale: 1})
		VMOVUPS(y[10+i], Mem{Base: row, Index: ds, Scale: 2})
		VMOVUPS(y[11+i], Mem{Base: row, Index: R11, Scale: 1})
		LEAQ(Mem{Base: row, Index: ds, Scale: 4}, row)
	}
	MOVQ(row, dst)
	ADDQ(U8(32), src)
	DECQ(n)
	JMP(LabelRef("block"))

	Label("done")
	VZEROUPPER()
	RET()
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
