package kernels

import (
	"bytes"
	"unsafe"

	"github.com/kestrel-ml/kestrel/internal/gemm"
	"github.com/kestrel-ml/kestrel/internal/parallel"
	"github.com/kestrel-ml/kestrel/internal/winograd"
)

// Convolutions by Winograd F(2×2, 3×3) (package winograd holds the
// transforms): for a chunk of images, the input tiles of every channel are
// transformed, each of the 16 transformed positions ξ is one matrix multiply
// M[ξ] (cout × tiles) = U[ξ] (cout × cin) · V[ξ] (cin × tiles) with the
// transformed kernels U, and the products are transformed back into output.

// winogradTile is the number of values in a transformed 4×4 tile.
const winogradTile = winograd.Positions

// winogradTiles is roughly how many tiles one worker transforms and multiplies
// at a time: enough columns for the micro-kernel to run long, few enough that
// the transformed input and products of a chunk stay in the core's L2 cache.
const winogradTiles = 128

// ConvAlgorithm chooses how the CPU backend computes convolutions.
type ConvAlgorithm int

const (
	// ConvAuto uses Winograd F(2×2, 3×3) for 3×3 convolutions with stride 1,
	// padding 1 and at least winogradMinChannels channels in and out, and
	// im2col with a matrix multiply for every other convolution.
	ConvAuto ConvAlgorithm = iota

	// ConvIm2col always uses im2col with a matrix multiply.
	ConvIm2col
)

// winogradMinChannels is the fewest input and output channels Winograd is
// used for: with the three colour channels of a first layer the transformed
// products would have k = 3, too short for the micro-kernel, and the
// transforms would cost as much as the multiplications they save.
const winogradMinChannels = 16

// useWinograd reports whether ConvAuto computes s with Winograd F(2×2, 3×3).
func (c *CPU) useWinograd(s ConvShape) bool {
	return c.Algorithm == ConvAuto && s.KH == 3 && s.KW == 3 && s.Stride == 1 && s.Pad == 1 &&
		s.C >= winogradMinChannels && s.OC >= winogradMinChannels
}

// winogradPlan holds one convolution's transformed kernels, packed for the
// matrix multiply: packs[ξ] is U[ξ], m rows (output channels) by k columns
// (input channels).
type winogradPlan struct {
	u     []float32 // [16, m, k]
	packs [winogradTile]gemm.PackedA

	// key names the weights and transform the plan was made for, weights holds
	// a copy of the weights, and users counts the calls using it (guarded by
	// CPU.mu): a plan is rebuilt only when no call uses it.
	key     planKey
	weights []float32
	users   int
}

// planKey identifies a plan: the address and shape of the weights, whether it
// is the adjoint convolution's, and the micro-kernel it was packed for.
type planKey struct {
	w       *float32
	oc, c   int
	adjoint bool
	kernel  string
}

// maxPlans bounds the plans a CPU backend keeps, two for each 3×3 layer of a
// model (its forward and its input-gradient convolution).
const maxPlans = 32

// plan returns a winogradPlan for the weights w [OC, C, 3, 3] of s; with
// adjoint it is the plan of the adjoint convolution, which maps OC channels to
// C with every kernel rotated by 180°, the input gradient's convolution. Give
// it back with releasePlan.
//
// Plans are kept between calls: when the weights at w are bit for bit those
// a kept plan was made from, as in inference, that plan is reused instead of
// transforming and packing the kernels again.
func (c *CPU) plan(s ConvShape, w []float32, adjoint bool) *winogradPlan {
	key := planKey{w: &w[0], oc: s.OC, c: s.C, adjoint: adjoint, kernel: gemm.Kernel()}
	w = w[:s.OC*s.C*9]

	c.mu.Lock()
	var p, idle, own *winogradPlan
	for _, q := range c.plans {
		if q.key == key && sameBits(q.weights, w) {
			q.users++
			c.mu.Unlock()
			return q
		}
		if q.users == 0 {
			idle = q
			if q.key == key {
				own = q
			}
		}
	}

	// rebuild this convolution's own plan, or keep a new one, or else evict
	// another idle plan
	switch {
	case own != nil:
		p = own
	case len(c.plans) < maxPlans:
		p = new(winogradPlan)
		c.plans = append(c.plans, p)
	case idle != nil:
		p = idle
	default:
		p = new(winogradPlan) // every kept plan is in use: this one is not kept
	}
	p.users++
	p.key = winogradNoKey // not reusable until built
	c.mu.Unlock()

	m, k := s.OC, s.C
	if adjoint {
		m, k = s.C, s.OC
	}
	p.u = growF32(p.u, winogradTile*m*k)
	winograd.Kernels(p.u, w, s.OC, s.C, adjoint)
	for xi := range p.packs {
		p.packs[xi].Pack(false, m, k, p.u[xi*m*k:(xi+1)*m*k], k)
	}
	p.weights = append(p.weights[:0], w...)

	c.mu.Lock()
	p.key = key
	c.mu.Unlock()
	return p
}

// winogradNoKey marks a plan being built.
var winogradNoKey planKey

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 {
		return true
	}
	ab := unsafe.Slice((*byte)(unsafe.Pointer(&a[0])), 4*len(a))
	bb := unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), 4*len(b))
	return bytes.Equal(ab, bb)
}

func (c *CPU) releasePlan(p *winogradPlan) {
	c.mu.Lock()
	p.users--
	c.mu.Unlock()
}

// growF32 returns b with length n, reallocated only when too small.
func growF32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// winogradConv computes y = conv(x) + b, or y += conv(x) when accumulate, for
// the 3×3, stride-1, padding-1 convolution whose transformed kernels p holds:
// x is [n, cin, h, w], y is [n, cout, h, w] and b is [cout] or nil.
func (c *CPU) winogradConv(p *winogradPlan, n, cin, cout, h, w int, x, b, y []float32,
	accumulate bool) {
	g := newWinogradGeometry(cin, cout, h, w)
	per := g.th * g.tw
	images := max(1, winogradTiles/per) // images per chunk

	threads := parallel.Workers(n * cout * h * w * cin * 4 / 1024)
	if n < threads {
		// too few images to share out: one chunk at a time, the products of
		// each chunk split across the threads
		ws := c.winogradScratch(g, min(images, n)*per)
		for i0 := 0; i0 < n; i0 += images {
			i1 := min(n, i0+images)
			g.chunk(p, ws, x, b, y, i0, i1, accumulate, threads)
		}
		ws.release(c)
		return
	}

	parallel.ForWorkers(n, threads, func(_, lo, hi int) {
		ws := c.winogradScratch(g, min(images, hi-lo)*per)
		for i0 := lo; i0 < hi; i0 += images {
			g.chunk(p, ws, x, b, y, i0, min(hi, i0+images), accumulate, 1)
		}
		ws.release(c)
	})
}

// winogradGeometry is the size of one Winograd convolution: cin planes of h×w
// in, cout planes out, th×tw tiles of 2×2 outputs per plane.
type winogradGeometry struct {
	cin, cout, h, w, th, tw int
}

func newWinogradGeometry(cin, cout, h, w int) winogradGeometry {
	th, tw := winograd.Tiles(h, w)
	return winogradGeometry{cin: cin, cout: cout, h: h, w: w, th: th, tw: tw}
}

// inputs transforms every channel of images [i0, i1) of x [n, cin, h, w] into
// v [cin, 16, tiles], the chunk's tiles numbered image by image; pad is
// winograd.Input's scratch.
func (g winogradGeometry) inputs(v []float32, tiles int, x []float32, i0, i1 int, pad []float32) {
	per, hw := g.th*g.tw, g.h*g.w
	ld := winogradTile * tiles
	for i := i0; i < i1; i++ {
		xi := x[i*g.cin*hw : (i+1)*g.cin*hw]
		for ch := 0; ch < g.cin; ch++ {
			winograd.Input(v[ch*ld+(i-i0)*per:], tiles, xi[ch*hw:(ch+1)*hw], g.h, g.w, pad)
		}
	}
}

// winogradWork is one worker's scratch: v [cin, 16, tiles] holds the
// transformed input of a chunk, m [cout, 16, tiles] its products, and pad one
// zero-bordered input plane of (2·th+2)×(2·tw+2). Keeping a channel's 16
// positions together, rather than a position's channels, keeps the 16 rows a
// tile is read from or written to a few hundred bytes apart instead of a power
// of two many kilobytes apart, which the L1 cache cannot hold at once.
type winogradWork struct {
	v, m, pad *[]float32
}

func (c *CPU) winogradScratch(g winogradGeometry, tiles int) winogradWork {
	pad := c.buffer(winograd.ScratchSize(g.h, g.w))
	clear(*pad) // the border stays zero; every plane overwrites the inside
	return winogradWork{
		v:   c.buffer(winogradTile * g.cin * tiles),
		m:   c.buffer(winogradTile * g.cout * tiles),
		pad: pad,
	}
}

func (ws winogradWork) release(c *CPU) {
	c.release(ws.v)
	c.release(ws.m)
	c.release(ws.pad)
}

// chunk convolves images [i0, i1) of x into y: it transforms their input
// tiles, multiplies each of the 16 transformed positions by its kernels (the
// products split across threads), and transforms the products back.
func (g winogradGeometry) chunk(p *winogradPlan, ws winogradWork, x, b, y []float32,
	i0, i1 int, accumulate bool, threads int) {
	per := g.th * g.tw
	tiles := (i1 - i0) * per
	outSize := g.cout * g.h * g.w
	v, m := (*ws.v)[:winogradTile*g.cin*tiles], (*ws.m)[:winogradTile*g.cout*tiles]
	g.inputs(v, tiles, x, i0, i1, *ws.pad)

	// M[ξ] (cout×tiles, row stride 16·tiles) = U[ξ] · V[ξ] (cin×tiles, likewise)
	if threads > 1 {
		parallel.ForWorkers(winogradTile, threads, func(_, lo, hi int) {
			winogradProducts(p, v, m, tiles, lo, hi)
		})
	} else {
		winogradProducts(p, v, m, tiles, 0, winogradTile)
	}

	for i := i0; i < i1; i++ {
		yi := y[i*outSize : (i+1)*outSize]
		for o := 0; o < g.cout; o++ {
			var bias float32
			if b != nil {
				bias = b[o]
			}
			winograd.Output(yi[o*g.h*g.w:(o+1)*g.h*g.w], g.h, g.w,
				m[o*winogradTile*tiles+(i-i0)*per:], tiles, bias, accumulate)
		}
	}
}

// winogradGradients accumulates the weight and bias gradients of the 3×3,
// stride-1, padding-1 convolution s into dw [OC, C, 3, 3] and db [OC] (either
// may be nil) given its input x and output gradient dy. The gradient of each
// transformed kernel position is a matrix multiply over tiles,
// dU[ξ] (OC×C) += dM[ξ] (OC×tiles) · V[ξ]ᵀ, with dM the adjoint output
// transform of dy and V the input transform of x; each worker sums its images
// privately, and the workers' sums are added in worker order.
func (c *CPU) winogradGradients(s ConvShape, x, dy, dw, db []float32) {
	g := newWinogradGeometry(s.C, s.OC, s.H, s.W)
	per := g.th * g.tw
	images := max(1, winogradTiles/per)
	outSize, hw := s.OC*s.H*s.W, s.H*s.W
	workers := min(parallel.Workers(s.N*s.OC*hw*s.C*4/1024), s.N, maxWorkers)

	var dus, dbs [maxWorkers]*[]float32
	parallel.ForWorkers(s.N, workers, func(wk, lo, hi int) {
		ws := c.winogradScratch(g, min(images, hi-lo)*per)
		defer ws.release(c)
		du := c.buffer(winogradTile * s.OC * s.C)
		clear(*du)
		dus[wk] = du
		if db != nil {
			dbs[wk] = c.buffer(s.OC)
			clear(*dbs[wk])
		}

		for i0 := lo; i0 < hi; i0 += images {
			i1 := min(hi, i0+images)
			tiles := (i1 - i0) * per
			ld := winogradTile * tiles
			v, m := (*ws.v)[:s.C*ld], (*ws.m)[:s.OC*ld]
			g.inputs(v, tiles, x, i0, i1, *ws.pad)
			for i := i0; i < i1; i++ {
				dyi := dy[i*outSize : (i+1)*outSize]
				for o := 0; o < s.OC; o++ {
					plane := dyi[o*hw : (o+1)*hw]
					winograd.Gradient(m[o*ld+(i-i0)*per:], tiles, plane, s.H, s.W)
					if db != nil {
						(*dbs[wk])[o] += Sum(plane)
					}
				}
			}
			for xi := 0; xi < winogradTile; xi++ {
				gemm.Sgemm(false, true, s.OC, s.C, tiles, 1, m[xi*tiles:], ld, v[xi*tiles:], ld,
					1, (*du)[xi*s.OC*s.C:], s.C)
			}
		}
	})

	// add the workers' sums in worker order, so that results do not depend on
	// scheduling
	du := *dus[0]
	for wk := 1; wk < workers; wk++ {
		Add(du, *dus[wk])
		c.release(dus[wk])
	}
	if dw != nil {
		winograd.KernelGradients(dw, du, s.OC, s.C)
	}
	c.release(dus[0])
	if db != nil {
		for wk := 0; wk < workers; wk++ {
			Add(db, *dbs[wk])
			c.release(dbs[wk])
		}
	}
}

// winogradProducts computes M[ξ] (cout×tiles) = U[ξ] · V[ξ] (cin×tiles) for
// positions [lo, hi), both with row stride 16·tiles.
func winogradProducts(p *winogradPlan, v, m []float32, tiles, lo, hi int) {
	ld := winogradTile * tiles
	for xi := lo; xi < hi; xi++ {
		gemm.SgemmPacked(&p.packs[xi], false, tiles, 1, v[xi*tiles:], ld, 0, m[xi*tiles:], ld)
	}
}

// Convolutions describes how c computes convolutions, for reports.
func (c *CPU) Convolutions() string {
	if c.Algorithm == ConvIm2col {
		return "im2col + GEMM"
	}
	return "Winograd F(2x2,3x3) for 3x3 stride-1 padding-1 with 16+ channels; " +
		"im2col + GEMM otherwise"
}
