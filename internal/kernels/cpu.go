package kernels

import (
	"sync"

	"github.com/kestrel-ml/kestrel/internal/gemm"
	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// CPU is the backend that runs on this machine's cores, splitting work across
// parallel.Threads() goroutines.
type CPU struct {
	// Algorithm chooses how convolutions are computed; the zero value is
	// ConvAuto.
	Algorithm ConvAlgorithm

	// scratch holds im2col buffers for reuse. It is a plain free list, not a
	// sync.Pool, which would drop them at every garbage collection and let
	// fresh pages fault in again.
	mu      sync.Mutex
	scratch []*[]float32
	packs   []*gemm.PackedA
	plans   []*winogradPlan
}

// NewCPU returns the CPU backend.
func NewCPU() *CPU { return &CPU{} }

// Name reports "cpu/" and the matrix-multiply micro-kernel in use.
func (c *CPU) Name() string { return "cpu/" + gemm.Kernel() }

// MatMul implements Backend.
func (c *CPU) MatMul(transA, transB bool, m, n, k int, a, b []float32, beta float32, out []float32) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if transB && !transA && m <= smallRows {
		c.matMulRows(m, n, k, a, b, beta, out)
		return
	}
	gemm.SgemmParallel(parallel.Threads(), transA, transB, m, n, k, 1, a, lda, b, ldb, beta, out, n)
}

// smallRows is the most rows of A that MatMul multiplies by dot products
// rather than packing B, which for one or a few rows (a batch of one image
// through a Linear layer) costs more than the product.
const smallRows = 4

// matMulRows computes C = A·Bᵀ + beta·C for A [m, k] and B [n, k] by dot
// products, columns of C split across the threads.
func (c *CPU) matMulRows(m, n, k int, a, b []float32, beta float32, out []float32) {
	// one image through a Linear layer is memory-bound work for one core
	parallel.ForWorkers(n, parallel.Workers(m*n*k/32), func(_, lo, hi int) {
		for i := 0; i < m; i++ {
			ai, ci := a[i*k:(i+1)*k], out[i*n:(i+1)*n]
			set := func(j int, v float32) {
				if beta != 0 {
					v += beta * ci[j]
				}
				ci[j] = v
			}

			// four rows of B at a time, which reads A's row once for the four
			j := lo
			for ; j+4 <= hi; j += 4 {
				v := Dot4(ai, b[j*k:(j+4)*k], k)
				for r := range v {
					set(j+r, v[r])
				}
			}
			for ; j < hi; j++ {
				set(j, Dot(ai, b[j*k:(j+1)*k]))
			}
		}
	})
}

// buffer returns a scratch buffer of n values; give it back with release.
func (c *CPU) buffer(n int) *[]float32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.scratch {
		if cap(*p) >= n {
			c.scratch = append(c.scratch[:i], c.scratch[i+1:]...)
			*p = (*p)[:n]
			return p
		}
	}
	buf := make([]float32, n)
	return &buf
}

// packed returns op(w) packed for the matrix multiply; give it back with
// releasePacked.
func (c *CPU) packed(transA bool, m, k int, w []float32, ldw int) *gemm.PackedA {
	c.mu.Lock()
	var p *gemm.PackedA
	if n := len(c.packs); n > 0 {
		p = c.packs[n-1]
		c.packs = c.packs[:n-1]
	} else {
		p = new(gemm.PackedA)
	}
	c.mu.Unlock()
	p.Pack(transA, m, k, w, ldw)
	return p
}

func (c *CPU) releasePacked(p *gemm.PackedA) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.packs) < 8 {
		c.packs = append(c.packs, p)
	}
}

func (c *CPU) release(p *[]float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.scratch) < 32 {
		c.scratch = append(c.scratch, p)
	}
}

// ConvForward implements Backend. 3×3 convolutions with stride 1 and padding 1
// use Winograd F(2×2, 3×3) (see useWinograd); the others use im2col and one
// matrix multiply per image, images split across workers, with the weights
// packed for the multiply once.
func (c *CPU) ConvForward(s ConvShape, x, w, b, y []float32) {
	if c.useWinograd(s) {
		p := c.plan(s, w, false, c.outputTile(s))
		c.winogradConv(p, s.N, s.C, s.OC, s.H, s.W, x, b, y, false)
		c.releasePlan(p)
		return
	}

	inSize, outSize := s.C*s.H*s.W, s.OC*s.OH*s.OW
	ckk, ohw := s.C*s.KH*s.KW, s.OH*s.OW
	pw := c.packed(false, s.OC, ckk, w, ckk) // W [OC, CKK], shared by every image
	defer c.releasePacked(pw)
	// splitting one image pays only for large images: waking another thread and
	// sharing the packed weights across cores costs tens of microseconds
	if threads := parallel.Workers(s.N * s.OC * ohw * ckk / 256); s.N < threads {
		c.convForwardSplit(s, pw, x, b, y, threads)
		return
	}

	parallel.For(s.N, func(_, lo, hi int) {
		col := c.buffer(ckk * ohw)
		defer c.release(col)
		for i := lo; i < hi; i++ {
			yi := y[i*outSize : (i+1)*outSize]
			Im2col(s, x[i*inSize:(i+1)*inSize], *col)
			gemm.SgemmPacked(pw, false, ohw, 1, *col, ohw, 0, yi, ohw)
			if b != nil {
				for o := 0; o < s.OC; o++ {
					AddScalar(yi[o*ohw:(o+1)*ohw], b[o])
				}
			}
		}
	})
}

// convForwardSplit is ConvForward for fewer images than threads (such as one
// image at a time): each image's product is split across the threads by
// columns (output positions).
func (c *CPU) convForwardSplit(s ConvShape, pw *gemm.PackedA, x, b, y []float32, threads int) {
	inSize, outSize := s.C*s.H*s.W, s.OC*s.OH*s.OW
	ckk, ohw := s.C*s.KH*s.KW, s.OH*s.OW
	const unit = 32 // columns per share: a multiple of every micro-kernel's width
	col := c.buffer(ckk * ohw)
	defer c.release(col)
	for i := 0; i < s.N; i++ {
		yi := y[i*outSize : (i+1)*outSize]
		Im2col(s, x[i*inSize:(i+1)*inSize], *col)
		parallel.ForWorkers((ohw+unit-1)/unit, threads, func(_, lo, hi int) {
			j0, j1 := lo*unit, min(hi*unit, ohw)
			gemm.SgemmPacked(pw, false, j1-j0, 1, (*col)[j0:], ohw, 0, yi[j0:], ohw)
			if b != nil {
				for o := 0; o < s.OC; o++ {
					AddScalar(yi[o*ohw+j0:o*ohw+j1], b[o])
				}
			}
		})
	}
}

// ConvBackward implements Backend. Each worker accumulates weight and bias
// gradients for its images privately (the first straight into dw and db);
// they are summed at the end in worker order. For a convolution that
// ConvForward computes with Winograd's algorithm, the weight gradient is
// computed in the transformed domain of F(2×2, 3×3), and the input gradient is
// itself a Winograd convolution (of dy with the kernels rotated by 180° and their
// channels swapped).
func (c *CPU) ConvBackward(s ConvShape, x, w, dy, dx, dw, db []float32) {
	if c.useWinograd(s) {
		if dw != nil || db != nil {
			c.winogradGradients(s, x, dy, dw, db)
		}
		if dx != nil {
			p := c.plan(s, w, true, c.outputTile(s))
			c.winogradConv(p, s.N, s.OC, s.C, s.OH, s.OW, dy, nil, dx, true)
			c.releasePlan(p)
		}
		return
	}

	inSize, outSize := s.C*s.H*s.W, s.OC*s.OH*s.OW
	ckk, ohw := s.C*s.KH*s.KW, s.OH*s.OW
	workers := min(parallel.Threads(), s.N, maxWorkers)

	var pwt *gemm.PackedA // Wᵀ [CKK, OC], shared by every image
	if dx != nil {
		pwt = c.packed(true, ckk, s.OC, w, ckk)
		defer c.releasePacked(pwt)
	}

	// worker 0 accumulates straight into dw and db; the others into scratch
	var dws, dbs [maxWorkers]*[]float32
	parallel.ForWorkers(s.N, workers, func(wk, lo, hi int) {
		col := c.buffer(ckk * ohw)
		defer c.release(col)
		dwk, dbk := dw, db
		if wk > 0 && dw != nil {
			dws[wk] = c.buffer(len(dw))
			dwk = *dws[wk]
			clear(dwk)
		}
		if wk > 0 && db != nil {
			dbs[wk] = c.buffer(s.OC)
			dbk = *dbs[wk]
			clear(dbk)
		}
		for i := lo; i < hi; i++ {
			dyi := dy[i*outSize : (i+1)*outSize]

			// weight gradient: dW[OC, CKK] += dY[OC, OHW] · col[CKK, OHW]ᵀ
			if dwk != nil {
				Im2col(s, x[i*inSize:(i+1)*inSize], *col)
				gemm.Sgemm(false, true, s.OC, ckk, ohw, 1, dyi, ohw, *col, ohw, 1, dwk, ckk)
			}

			// bias gradient: the sum of dY over positions
			if dbk != nil {
				for o := 0; o < s.OC; o++ {
					dbk[o] += Sum(dyi[o*ohw : (o+1)*ohw])
				}
			}

			// input gradient: dcol[CKK, OHW] = Wᵀ · dY, then scatter back
			if dx != nil {
				gemm.SgemmPacked(pwt, false, ohw, 1, dyi, ohw, 0, *col, ohw)
				Col2im(s, *col, dx[i*inSize:(i+1)*inSize])
			}
		}
	})

	// sum the other workers' parts in worker order, so results do not depend
	// on scheduling
	for wk := 1; wk < workers; wk++ {
		if dw != nil {
			for j, v := range *dws[wk] {
				dw[j] += v
			}
			c.release(dws[wk])
		}
		if db != nil {
			for j, v := range *dbs[wk] {
				db[j] += v
			}
			c.release(dbs[wk])
		}
	}
}

// maxWorkers bounds the workers one convolution uses.
const maxWorkers = 64

// Im2col unrolls one image x [C, H, W] into col [C*KH*KW, OH*OW]: row
// (c, ky, kx) holds, for every output position, the input pixel under kernel
// tap (ky, kx) of channel c, or zero where the tap falls in the padding.
func Im2col(s ConvShape, x, col []float32) {
	if !sameWidth(s) {
		im2colGeneral(s, x, col)
		return
	}

	// stride 1 and OW == W: each tap's row is the plane shifted by a constant,
	// so copy it whole and zero the columns that wrapped around
	ohw := s.OH * s.OW
	for c := 0; c < s.C; c++ {
		plane := x[c*s.H*s.W : (c+1)*s.H*s.W]
		for ky := 0; ky < s.KH; ky++ {
			for kx := 0; kx < s.KW; kx++ {
				row := col[((c*s.KH+ky)*s.KW+kx)*ohw:][:ohw]
				off, shift, lo, hi := tapShift(s, ky, kx)
				if hi <= lo {
					clear(row)
					continue
				}
				clear(row[:lo])
				copy(row[lo:hi], plane[lo+shift:hi+shift])
				clear(row[hi:])
				zeroWrapped(row, s.W, off)
			}
		}
	}
}

// tapShift returns, for kernel tap (ky, kx) of a convolution that sameWidth
// accepts, the tap's horizontal offset off, the shift from an output position
// to the input pixel the tap reads (pixel = position + shift within a plane),
// and the output positions [lo, hi) whose pixel lies inside the plane; hi <= lo
// when none does. Columns that wrapped around a row still need zeroWrapped.
func tapShift(s ConvShape, ky, kx int) (off, shift, lo, hi int) {
	off = kx - s.Pad
	shift = (ky-s.Pad)*s.W + off
	return off, shift, max(0, -shift), min(s.OH*s.OW, s.H*s.W-shift)
}

// sameWidth reports whether s has stride 1 and an output as wide as its input,
// the case Im2col and Col2im handle by shifting whole planes.
func sameWidth(s ConvShape) bool {
	return s.Stride == 1 && s.OW == s.W && s.Pad <= s.W
}

// zeroWrapped zeroes, in every row of width w of plane, the columns whose
// horizontal tap offset off falls outside the row: the first −off columns when
// off < 0, the last off columns when off > 0.
func zeroWrapped(plane []float32, w, off int) {
	switch {
	case off == -1:
		for r := 0; r < len(plane); r += w {
			plane[r] = 0
		}
	case off == 1:
		for r := w - 1; r < len(plane); r += w {
			plane[r] = 0
		}
	case off < 0:
		for r := 0; r+w <= len(plane); r += w {
			clear(plane[r : r-off])
		}
	case off > 0:
		for r := 0; r+w <= len(plane); r += w {
			clear(plane[r+w-off : r+w])
		}
	}
}

// im2colGeneral is Im2col for any stride and padding.
func im2colGeneral(s ConvShape, x, col []float32) {
	ohw := s.OH * s.OW
	for c := 0; c < s.C; c++ {
		plane := x[c*s.H*s.W : (c+1)*s.H*s.W]
		for ky := 0; ky < s.KH; ky++ {
			for kx := 0; kx < s.KW; kx++ {
				row := col[((c*s.KH+ky)*s.KW+kx)*ohw:][:ohw]
				for oy := 0; oy < s.OH; oy++ {
					iy := oy*s.Stride - s.Pad + ky
					out := row[oy*s.OW : (oy+1)*s.OW]
					if iy < 0 || iy >= s.H {
						clear(out)
						continue
					}
					src := plane[iy*s.W : (iy+1)*s.W]
					if s.Stride == 1 {
						im2colRow(out, src, kx-s.Pad)
						continue
					}
					for ox := range out {
						ix := ox*s.Stride - s.Pad + kx
						if ix < 0 || ix >= s.W {
							out[ox] = 0
						} else {
							out[ox] = src[ix]
						}
					}
				}
			}
		}
	}
}

// im2colRow copies src shifted by off into out (out[i] = src[i+off]) with zeros
// where i+off falls outside src.
func im2colRow(out, src []float32, off int) {
	lo := min(max(0, -off), len(out))
	hi := min(len(out), len(src)-off)
	clear(out[:lo])
	if hi > lo {
		copy(out[lo:hi], src[lo+off:hi+off])
	} else {
		hi = lo
	}
	clear(out[hi:])
}

// Col2im is the adjoint of Im2col: it adds every entry of col [C*KH*KW, OH*OW]
// into the input pixel [C, H, W] of dx it was read from. col is scratch: the
// entries that fall in the padding may be zeroed.
func Col2im(s ConvShape, col, dx []float32) {
	if !sameWidth(s) {
		col2imGeneral(s, col, dx)
		return
	}

	// stride 1 and OW == W: zero the columns of each row of col that wrapped
	// around (col is the caller's scratch), then add it to the shifted plane
	ohw := s.OH * s.OW
	for c := 0; c < s.C; c++ {
		plane := dx[c*s.H*s.W : (c+1)*s.H*s.W]
		for ky := 0; ky < s.KH; ky++ {
			for kx := 0; kx < s.KW; kx++ {
				row := col[((c*s.KH+ky)*s.KW+kx)*ohw:][:ohw]
				off, shift, lo, hi := tapShift(s, ky, kx)
				if hi <= lo {
					continue
				}
				zeroWrapped(row, s.W, off)
				Add(plane[lo+shift:hi+shift], row[lo:hi])
			}
		}
	}
}

// col2imGeneral is Col2im for any stride and padding.
func col2imGeneral(s ConvShape, col, dx []float32) {
	ohw := s.OH * s.OW
	for c := 0; c < s.C; c++ {
		plane := dx[c*s.H*s.W : (c+1)*s.H*s.W]
		for ky := 0; ky < s.KH; ky++ {
			for kx := 0; kx < s.KW; kx++ {
				row := col[((c*s.KH+ky)*s.KW+kx)*ohw:][:ohw]
				for oy := 0; oy < s.OH; oy++ {
					iy := oy*s.Stride - s.Pad + ky
					if iy < 0 || iy >= s.H {
						continue
					}
					dst := plane[iy*s.W : (iy+1)*s.W]
					src := row[oy*s.OW : (oy+1)*s.OW]
					for ox, v := range src {
						ix := ox*s.Stride - s.Pad + kx
						if ix >= 0 && ix < s.W {
							dst[ix] += v
						}
					}
				}
			}
		}
	}
}
