// Package gemm multiplies single-precision row-major matrices fast: a packed, cache-blocked
// GEMM whose inner loop is a register-blocked micro-kernel chosen at start-up (AVX-512, AVX2+FMA
// or portable Go; see Kernel).
package gemm

import (
	"fmt"
	"sync"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(A) is m×k
// (A is m×k with leading dimension lda, or k×m when transA), op(B) is k×n (B is k×n with
// leading dimension ldb, or n×k when transB), and C is m×n with leading dimension ldc.
// beta == 0 means C is overwritten (its old contents, even NaN, are ignored). It runs on the
// calling goroutine only. Inconsistent sizes (a leading dimension below the row width, or a
// slice too short for its matrix) are programming errors and panic with a message naming them.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	ws := getWorkspace()
	sgemm(current.Load(), ws, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	putWorkspace(ws)
}

// SgemmParallel is Sgemm split across up to threads goroutines by blocks of C (columns when
// n >= m, else rows); threads <= 1, or a problem too small to share, runs inline.
func SgemmParallel(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32,
	lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	kern := current.Load()

	// split the larger dimension of C into whole tiles, at most one part per thread.
	const minFlopsPerPart = 1 << 16
	parts := threads
	if f := 2 * m * n * k / minFlopsPerPart; f < parts {
		parts = f
	}
	byCols := n >= m
	unit, extent := kern.mr, m
	if byCols {
		unit, extent = kern.nr, n
	}
	if tiles := (extent + unit - 1) / unit; tiles < parts {
		parts = tiles
	}
	if parts <= 1 {
		Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}

	// each part gets a contiguous run of tiles and its own packing buffers.
	tiles := (extent + unit - 1) / unit
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		lo := tiles * p / parts * unit
		hi := min(tiles*(p+1)/parts*unit, extent)
		run := func() {
			ws := getWorkspace()
			if byCols {
				bOff := lo
				if transB {
					bOff = lo * ldb
				}
				sgemm(kern, ws, transA, transB, m, hi-lo, k, alpha, a, lda,
					b[min(bOff, len(b)):], ldb, beta, c[lo:], ldc)
			} else {
				aOff := lo * lda
				if transA {
					aOff = lo
				}
				sgemm(kern, ws, transA, transB, hi-lo, n, k, alpha, a[min(aOff, len(a)):], lda,
					b, ldb, beta, c[lo*ldc:], ldc)
			}
			putWorkspace(ws)
		}
		if p == parts-1 {
			run()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	wg.Wait()
}

// checkArgs panics with a message naming the first inconsistent size.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int,
	c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	checkMatrix("A", a, aRows, aCols, lda)
	checkMatrix("B", b, bRows, bCols, ldb)
	checkMatrix("C", c, m, n, ldc)
}

// checkMatrix panics unless s holds a rows×cols row-major matrix with leading dimension ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, want at least %d (its width)",
			name, ld, max(1, cols)))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s has %d elements, want at least %d for %d×%d with ld %d",
			name, len(s), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// workspace holds one goroutine's packing buffers; they grow to the largest block seen.
type workspace struct {
	a, b []float32

	// tile receives edge tiles before the valid part is merged into C.
	tile []float32
}

// spareWorkspaces keeps a few packing buffers across calls and garbage collections (a
// sync.Pool would drop them at every collection), so steady-state calls do not allocate.
var spareWorkspaces = make(chan *workspace, 8)

// getWorkspace returns a spare workspace, or a new empty one when none is free.
func getWorkspace() *workspace {
	select {
	case ws := <-spareWorkspaces:
		return ws
	default:
		return new(workspace)
	}
}

// putWorkspace keeps ws for later calls unless enough are kept already.
func putWorkspace(ws *workspace) {
	select {
	case spareWorkspaces <- ws:
	default:
	}
}

// grow returns buf resized to n elements, reallocating only when its capacity is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// roundUp rounds x up to a multiple of unit.
func roundUp(x, unit int) int {
	return (x + unit - 1) / unit * unit
}

// split divides total into the fewest near-equal blocks of at most limit, rounding the block
// size up to a multiple of unit, and returns that block size.
func split(total, limit, unit int) int {
	blocks := (total + limit - 1) / limit
	return min(roundUp((total+blocks-1)/blocks, unit), limit)
}

// sgemm runs the blocked algorithm on arguments already checked: loops over n, k and m blocks,
// packing op(B) then op(A) blocks and sweeping the micro-kernel over them.
func sgemm(kern *microKernel, ws *workspace, transA, transB bool, m, n, k int, alpha float32,
	a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	blocked(kern, ws, nil, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// blocked is sgemm with op(A) either packed block by block from a (pa == nil) or read from
// pa, which holds it packed already in the same block order.
func blocked(kern *microKernel, ws *workspace, pa *PackedA, transA, transB bool, m, n, k int,
	alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32,
	ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := kern.mr, kern.nr
	ws.tile = grow(ws.tile, mr*nr)
	ncStep := split(n, kern.nc, nr)
	kcStep := split(k, kern.kc, 1)
	mcStep := split(m, kern.mc, mr)
	for jc := 0; jc < n; jc += ncStep {
		nc := min(ncStep, n-jc)
		for pc := 0; pc < k; pc += kcStep {
			kc := min(kcStep, k-pc)
			ws.b = grow(ws.b, roundUp(nc, nr)*kc)
			packB(kern, ws.b, transB, b, ldb, pc, kc, jc, nc)

			// later k blocks accumulate onto the partial sums already in C.
			betaBlock := beta
			if pc > 0 {
				betaBlock = 1
			}
			for ic := 0; ic < m; ic += mcStep {
				mc := min(mcStep, m-ic)
				var aBlock []float32
				if pa != nil {
					aBlock = pa.data[pa.offset(pc, ic, kc):]
				} else {
					ws.a = grow(ws.a, roundUp(mc, mr)*kc)
					packA(kern, ws.a, transA, a, lda, ic, mc, pc, kc)
					aBlock = ws.a
				}
				macroKernel(kern, ws, aBlock, mc, nc, kc, alpha, betaBlock, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// macroKernel sweeps the micro-kernel over one packed mc×kc block of A (a) and kc×nc block of B,
// updating the mc×nc block of C at c.
func macroKernel(kern *microKernel, ws *workspace, a []float32, mc, nc, kc int,
	alpha, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bPanel := &ws.b[jr*kc]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			aPanel := &a[ir*kc]
			if rows == mr && cols == nr {
				kern.fn(kc, aPanel, bPanel, &c[ir*ldc+jr], ldc, alpha, beta)
				continue
			}

			// edge tile: compute the whole padded tile aside, then merge the valid part.
			kern.fn(kc, aPanel, bPanel, &ws.tile[0], nr, 1, 0)
			for i := 0; i < rows; i++ {
				dst := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+cols]
				src := ws.tile[i*nr : i*nr+cols]
				if beta == 0 {
					for j, v := range src {
						dst[j] = alpha * v
					}
				} else {
					for j, v := range src {
						dst[j] = alpha*v + beta*dst[j]
					}
				}
			}
		}
	}
}

// scaleC sets C = beta*C, writing zeros when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
