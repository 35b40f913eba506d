package kernels

import (
	"bytes"
	"math"
	"unsafe"

	"github.com/kestrel-ml/kestrel/internal/gemm"
	"github.com/kestrel-ml/kestrel/internal/parallel"
	"github.com/kestrel-ml/kestrel/internal/winograd"
)

// Convolutions by Winograd's minimal filtering (package winograd holds the
// transforms): for a chunk of images, the input tiles of every channel are
// transformed, each transformed position ξ is one matrix multiply
// M[ξ] (cout × tiles) = U[ξ] (cout × cin) · V[ξ] (cin × tiles) with the
// transformed kernels U, and the products are transformed back into output.
// F(4×4, 3×3), with 36 positions for 16 outputs, computes the convolution and
// its input gradient wherever the planes are whole 4×4 tiles and a chunk has
// enough of them; F(2×2, 3×3), with 16 positions for 4 outputs, computes the
// rest and every weight gradient.

// winogradTile is the number of values in a transformed 4×4 tile of
// F(2×2, 3×3).
const winogradTile = winograd.Positions

// winogradTiles is roughly how many tiles one worker transforms and multiplies
// at a time with F(2×2, 3×3): enough columns for the micro-kernel to run
// long, few enough that the transformed input and products of a chunk stay
// in the core's L2 cache. F(4×4, 3×3) takes winogradTiles4, as each of its
// tiles has 36 positions: on Zen 1, 32 trained 2–5% and inferred 4–10%
// faster than 64, and 64 than 128.
const (
	winogradTiles  = 128
	winogradTiles4 = 32
)

// winogradMinTiles4 is the fewest tiles a chunk must have for F(4×4, 3×3):
// the width of the micro-kernel. With fewer, as for one 8×8 image, the
// products would run mostly empty and F(2×2, 3×3), with four times the tiles,
// is faster.
const winogradMinTiles4 = 16

// ConvAlgorithm chooses how the CPU backend computes convolutions.
type ConvAlgorithm int

const (
	// ConvAuto uses Winograd F(2×2, 3×3) for 3×3 convolutions with stride 1,
	// padding 1 and at least winogradMinChannels channels in and out, and
	// im2col with a matrix multiply for every other convolution.
	ConvAuto ConvAlgorithm = iota

	// ConvIm2col always uses im2col with a matrix multiply.
	ConvIm2col

	// ConvWinograd2x2 is ConvAuto with F(2×2, 3×3) wherever ConvAuto would
	// use F(4×4, 3×3), for comparison.
	ConvWinograd2x2
)

// winogradMinChannels is the fewest input and output channels Winograd is
// used for: with the three colour channels of a first layer the transformed
// products would have k = 3, too short for the micro-kernel, and the
// transforms would cost as much as the multiplications they save.
const winogradMinChannels = 16

// useWinograd reports whether s is computed by Winograd's algorithm.
func (c *CPU) useWinograd(s ConvShape) bool {
	return c.Algorithm != ConvIm2col && s.KH == 3 && s.KW == 3 && s.Stride == 1 && s.Pad == 1 &&
		s.C >= winogradMinChannels && s.OC >= winogradMinChannels
}

// outputTile returns the size of the output tiles a convolution of s, forward
// or either gradient, is computed with: 4 for F(4×4, 3×3) or 2 for
// F(2×2, 3×3).
func (c *CPU) outputTile(s ConvShape) int {
	n, h, w := s.N, s.H, s.W
	if c.Algorithm != ConvAuto || h%4 != 0 || w%4 != 0 {
		return 2
	}
	th, tw := winograd.Tiles4(h, w)
	per := th * tw
	images := min(n, max(1, winogradTiles4/per))
	// the offsets of a chunk's tiles, which span its planes of either side,
	// are int32s
	if images*per < winogradMinTiles4 || images*max(s.C, s.OC)*h*w > math.MaxInt32 {
		return 2
	}
	return 4
}

// winogradPlan holds one convolution's transformed kernels, packed for the
// matrix multiply: packs[ξ] is U[ξ], m rows (output channels) by k columns
// (input channels), for each of the positions of its output tile size.
type winogradPlan struct {
	u     []float32 // [positions, m, k]
	packs []gemm.PackedA
	tile  int // 2 for F(2×2, 3×3), 4 for F(4×4, 3×3)

	// key names the weights and transform the plan was made for, weights holds
	// a copy of the weights, and users counts the calls using it (guarded by
	// CPU.mu): a plan is rebuilt only when no call uses it.
	key     planKey
	weights []float32
	users   int
}

// planKey identifies a plan: the address and shape of the weights, whether it
// is the adjoint convolution's, its output tile size and the micro-kernel it
// was packed for.
type planKey struct {
	w       *float32
	oc, c   int
	adjoint bool
	tile    int
	kernel  string
}

// maxPlans bounds the plans a CPU backend keeps, two or three for each 3×3
// layer of a model (its forward and its input-gradient convolution, and
// another tile size for another batch size).
const maxPlans = 32

// plan returns a winogradPlan with output tiles of tile×tile for the weights
// w [OC, C, 3, 3] of s; with adjoint it is the plan of the adjoint
// convolution, which maps OC channels to C with every kernel rotated by 180°,
// the input gradient's convolution. Give it back with releasePlan.
//
// Plans are kept between calls: when the weights at w are bit for bit those
// a kept plan was made from, as in inference, that plan is reused instead of
// transforming and packing the kernels again.
func (c *CPU) plan(s ConvShape, w []float32, adjoint bool, tile int) *winogradPlan {
	key := planKey{w: &w[0], oc: s.OC, c: s.C, adjoint: adjoint, tile: tile,
		kernel: gemm.Kernel()}
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
	positions := winogradTile
	if tile == 4 {
		positions = winograd.Positions4
	}
	p.tile = tile
	p.u = growF32(p.u, positions*m*k)
	if tile == 4 {
		winograd.Kernels4(p.u, w, s.OC, s.C, adjoint)
	} else {
		winograd.Kernels(p.u, w, s.OC, s.C, adjoint)
	}
	if cap(p.packs) < positions {
		p.packs = make([]gemm.PackedA, positions)
	}
	p.packs = p.packs[:positions]
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
	if p.tile == 4 {
		c.winogradConv4(p, n, cin, cout, h, w, x, b, y, accumulate)
		return
	}
	g := newWinogradGeometry(cin, cout, h, w)
	convChunks(c, g, p, n, max(1, winogradTiles/(g.th*g.tw)),
		parallel.Workers(n*cout*h*w*cin*4/1024), x, b, y, accumulate)
}

// chunker is the geometry of a Winograd convolution of either tile size,
// with W its worker scratch: scratch returns scratch for chunks of up to
// images images, chunk convolves one chunk with it.
type chunker[W interface{ release(*CPU) }] interface {
	scratch(c *CPU, images int) W
	chunk(p *winogradPlan, ws W, x, b, y []float32, i0, i1 int, accumulate bool, threads int)
}

// convChunks runs the convolution of geometry g over images [0, n) in chunks
// of up to images images on threads threads. With fewer images than threads
// it takes one chunk at a time, each given all the threads for its products;
// otherwise the images are split between the threads, each of which takes its
// chunks with one.
func convChunks[W interface{ release(*CPU) }, G chunker[W]](c *CPU, g G, p *winogradPlan,
	n, images, threads int, x, b, y []float32, accumulate bool) {
	if n < threads {
		ws := g.scratch(c, min(images, n))
		for i0 := 0; i0 < n; i0 += images {
			g.chunk(p, ws, x, b, y, i0, min(n, i0+images), accumulate, threads)
		}
		ws.release(c)
		return
	}

	parallel.ForWorkers(n, threads, func(_, lo, hi int) {
		ws := g.scratch(c, min(images, hi-lo))
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

// scratch returns a worker's scratch for chunks of up to images images.
func (g winogradGeometry) scratch(c *CPU, images int) winogradWork {
	return c.winogradScratch(g, images*g.th*g.tw)
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
// transform of dy and V the input transform of x, in F(4×4, 3×3) where the
// convolution itself uses it and F(2×2, 3×3) elsewhere; each worker sums its
// images privately, and the workers' sums are added in worker order.
func (c *CPU) winogradGradients(s ConvShape, x, dy, dw, db []float32) {
	tile := c.outputTile(s)
	g2, g4 := newWinogradGeometry(s.C, s.OC, s.H, s.W), newWinograd4Geometry(s.C, s.OC, s.H, s.W)
	positions, per, chunkTiles := winogradTile, g2.th*g2.tw, winogradTiles
	if tile == 4 {
		positions, per, chunkTiles = winograd.Positions4, g4.per, winogradTiles4
	}
	images := max(1, chunkTiles/per)
	hw := s.H * s.W
	workers := min(parallel.Workers(s.N*s.OC*hw*s.C*4/1024), s.N, maxWorkers)

	var dus, dbs [maxWorkers]*[]float32
	parallel.ForWorkers(s.N, workers, func(wk, lo, hi int) {
		du := c.buffer(positions * s.OC * s.C)
		clear(*du)
		dus[wk] = du
		var dbw []float32
		if db != nil {
			dbs[wk] = c.buffer(s.OC)
			dbw = *dbs[wk]
			clear(dbw)
		}

		// transform returns the transformed input and output gradient of
		// images [i0, i1), [C, positions, tiles] and [OC, positions, tiles]
		var transform func(i0, i1 int) (v, m []float32)
		if tile == 4 {
			ws := c.winograd4Scratch(g4, min(images, hi-lo))
			defer ws.release(c)
			transform = func(i0, i1 int) (v, m []float32) {
				return g4.gradientChunk(ws, x, dy, i0, i1, dbw)
			}
		} else {
			ws := c.winogradScratch(g2, min(images, hi-lo)*per)
			defer ws.release(c)
			transform = func(i0, i1 int) (v, m []float32) {
				return g2.gradientChunk(ws, x, dy, i0, i1, dbw)
			}
		}

		for i0 := lo; i0 < hi; i0 += images {
			i1 := min(hi, i0+images)
			tiles := (i1 - i0) * per
			ld := positions * tiles
			v, m := transform(i0, i1)
			for xi := 0; xi < positions; xi++ {
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
		if tile == 4 {
			winograd.KernelGradients4(dw, du, s.OC, s.C)
		} else {
			winograd.KernelGradients(dw, du, s.OC, s.C)
		}
	}
	c.release(dus[0])
	if db != nil {
		for wk := 0; wk < workers; wk++ {
			Add(db, *dbs[wk])
			c.release(dbs[wk])
		}
	}
}

// gradientChunk transforms images [i0, i1) of the input x and the output
// gradient dy of an F(2×2, 3×3) convolution into ws, returning them as
// v [cin, 16, tiles] and m [cout, 16, tiles], and adds the output gradient's
// plane sums to db unless it is nil.
func (g winogradGeometry) gradientChunk(ws winogradWork, x, dy []float32, i0, i1 int,
	db []float32) (v, m []float32) {
	per, hw := g.th*g.tw, g.h*g.w
	tiles := (i1 - i0) * per
	ld := winogradTile * tiles
	v, m = (*ws.v)[:g.cin*ld], (*ws.m)[:g.cout*ld]
	g.inputs(v, tiles, x, i0, i1, *ws.pad)
	for i := i0; i < i1; i++ {
		dyi := dy[i*g.cout*hw : (i+1)*g.cout*hw]
		for o := 0; o < g.cout; o++ {
			plane := dyi[o*hw : (o+1)*hw]
			winograd.Gradient(m[o*ld+(i-i0)*per:], tiles, plane, g.h, g.w)
			if db != nil {
				db[o] += Sum(plane)
			}
		}
	}
	return v, m
}

// winogradProducts computes M[ξ] (cout×tiles) = U[ξ] · V[ξ] (cin×tiles) for
// positions [lo, hi), both with row stride positions·tiles.
func winogradProducts(p *winogradPlan, v, m []float32, tiles, lo, hi int) {
	ld := len(p.packs) * tiles
	for xi := lo; xi < hi; xi++ {
		gemm.SgemmPacked(&p.packs[xi], false, tiles, 1, v[xi*tiles:], ld, 0, m[xi*tiles:], ld)
	}
}

// Convolutions describes how c computes convolutions, for reports.
func (c *CPU) Convolutions() string {
	switch c.Algorithm {
	case ConvIm2col:
		return "im2col + GEMM"
	case ConvWinograd2x2:
		return "Winograd F(2x2,3x3) for 3x3 stride-1 padding-1 with 16+ channels; " +
			"im2col + GEMM otherwise"
	}
	return "Winograd F(4x4,3x3) (F(2x2,3x3) for planes of partial 4x4 tiles or too few of " +
		"them) for 3x3 stride-1 padding-1 with 16+ channels; im2col + GEMM otherwise"
}

// winogradConv4 is winogradConv for a plan of F(4×4, 3×3); h and w are
// multiples of 4.
func (c *CPU) winogradConv4(p *winogradPlan, n, cin, cout, h, w int, x, b, y []float32,
	accumulate bool) {
	g := newWinograd4Geometry(cin, cout, h, w)
	convChunks(c, g, p, n, max(1, winogradTiles4/g.per),
		parallel.Workers(n*cout*h*w*cin*4/1024), x, b, y, accumulate)
}

// winograd4Geometry is the size of one F(4×4, 3×3) convolution: cin planes of
// h×w in, cout planes out, per = th·tw tiles of 4×4 outputs per plane, and the
// zero-padded planes the input transform reads, rows × pitch each.
type winograd4Geometry struct {
	cin, cout, h, w, th, tw, per int
	pitch, rows                  int
}

func newWinograd4Geometry(cin, cout, h, w int) winograd4Geometry {
	th, tw := winograd.Tiles4(h, w)
	return winograd4Geometry{cin: cin, cout: cout, h: h, w: w, th: th, tw: tw, per: th * tw,
		pitch: winograd.Pitch4(w), rows: winograd.PaddedRows4(h)}
}

// winograd4Work is one worker's scratch for chunks of up to images images:
// v [cin, 36, tiles] and m [cout, 36, tiles] hold a chunk's transformed input
// and products, pad the padded planes of one channel of its images, and offs
// (as int32s) the offsets of its tiles in pad and in the output.
type winograd4Work struct {
	v, m, pad, offs *[]float32
}

// scratch returns a worker's scratch for chunks of up to images images.
func (g winograd4Geometry) scratch(c *CPU, images int) winograd4Work {
	return c.winograd4Scratch(g, images)
}

func (c *CPU) winograd4Scratch(g winograd4Geometry, images int) winograd4Work {
	tiles := images * g.per
	pad := c.buffer(images * g.rows * g.pitch)
	clear(*pad) // the borders stay zero; every plane overwrites the inside
	return winograd4Work{
		v:    c.buffer(winograd.Positions4 * g.cin * tiles),
		m:    c.buffer(winograd.Positions4 * g.cout * tiles),
		pad:  pad,
		offs: c.buffer(2 * tiles),
	}
}

func (ws winograd4Work) release(c *CPU) {
	c.release(ws.v)
	c.release(ws.m)
	c.release(ws.pad)
	c.release(ws.offs)
}

// chunk convolves images [i0, i1) of x into y: it transforms their input
// tiles channel by channel, multiplies each of the 36 transformed positions by
// its kernels (the products split across threads), and transforms the
// products back.
func (g winograd4Geometry) chunk(p *winogradPlan, ws winograd4Work, x, b, y []float32,
	i0, i1 int, accumulate bool, threads int) {
	tiles := (i1 - i0) * g.per
	ld := winograd.Positions4 * tiles // the channel stride of v and m
	v, m := (*ws.v)[:g.cin*ld], (*ws.m)[:g.cout*ld]
	in, out := g.offsets(int32View(*ws.offs)[:2*tiles], i1-i0)

	g.inputs(v, tiles, x, i0, i1, *ws.pad, in)

	// M[ξ] (cout×tiles, row stride 36·tiles) = U[ξ] · V[ξ] (cin×tiles, likewise)
	if threads > 1 {
		parallel.ForWorkers(winograd.Positions4, threads, func(_, lo, hi int) {
			winogradProducts(p, v, m, tiles, lo, hi)
		})
	} else {
		winogradProducts(p, v, m, tiles, 0, winograd.Positions4)
	}

	hw := g.h * g.w
	outSize := g.cout * hw
	chunkOut := y[i0*outSize : i1*outSize]
	for o := 0; o < g.cout; o++ {
		var bias float32
		if b != nil {
			bias = b[o]
		}
		winograd.Output4(chunkOut[o*hw:], g.w, out, m[o*ld:(o+1)*ld], tiles, bias, accumulate)
	}
}

// inputs transforms every channel of images [i0, i1) of x [n, cin, h, w]
// into v [cin, 36, tiles], the tiles numbered as offsets numbers them (in is
// their first half): each channel's planes are copied into the padded planes
// pad, whose borders must be zero, and their tiles transformed from there.
func (g winograd4Geometry) inputs(v []float32, tiles int, x []float32, i0, i1 int, pad []float32,
	in winograd.TileOffsets) {
	hw, slot, ld := g.h*g.w, g.rows*g.pitch, winograd.Positions4*tiles
	pad = pad[:(i1-i0)*slot]
	for ch := 0; ch < g.cin; ch++ {
		for i := i0; i < i1; i++ {
			plane := x[(i*g.cin+ch)*hw : (i*g.cin+ch+1)*hw]
			winograd.Pad4(pad[(i-i0)*slot:(i-i0+1)*slot], plane, g.h, g.w)
		}
		winograd.Input4(v[ch*ld:(ch+1)*ld], tiles, pad, in, g.pitch)
	}
}

// gradientChunk transforms images [i0, i1) of the input x and the output
// gradient dy into ws, returning them as v [cin, 36, tiles] and
// m [cout, 36, tiles], and adds the output gradient's plane sums to db unless
// it is nil.
func (g winograd4Geometry) gradientChunk(ws winograd4Work, x, dy []float32, i0, i1 int,
	db []float32) (v, m []float32) {
	tiles := (i1 - i0) * g.per
	ld := winograd.Positions4 * tiles
	v, m = (*ws.v)[:g.cin*ld], (*ws.m)[:g.cout*ld]
	in, out := g.offsets(int32View(*ws.offs)[:2*tiles], i1-i0)
	g.inputs(v, tiles, x, i0, i1, *ws.pad, in)

	hw := g.h * g.w
	outSize := g.cout * hw
	chunkDy := dy[i0*outSize : i1*outSize]
	for o := 0; o < g.cout; o++ {
		winograd.Gradient4(m[o*ld:(o+1)*ld], tiles, chunkDy[o*hw:], g.w, out)
		if db != nil {
			for i := 0; i < i1-i0; i++ {
				db[o] += Sum(chunkDy[i*outSize+o*hw : i*outSize+(o+1)*hw])
			}
		}
	}
	return v, m
}

// offsets fills offs with the offsets of the tiles of a chunk of images
// images, image by image and row by row: in, the first half, locates each
// tile's window in the chunk's padded planes of one channel; out, the second,
// its 4×4 block of output from the chunk's first output plane.
func (g winograd4Geometry) offsets(offs []int32, images int) (in, out winograd.TileOffsets) {
	tiles := images * g.per
	ins, outs := offs[:tiles], offs[tiles:2*tiles]
	slot, outSize := g.rows*g.pitch, g.cout*g.h*g.w
	for i := 0; i < images; i++ {
		for ty := 0; ty < g.th; ty++ {
			for tx := 0; tx < g.tw; tx++ {
				j := (i*g.th+ty)*g.tw + tx
				ins[j] = int32(i*slot + 4*ty*g.pitch + 4*tx)
				outs[j] = int32(i*outSize + 4*ty*g.w + 4*tx)
			}
		}
	}
	return winograd.NewTileOffsets(ins), winograd.NewTileOffsets(outs)
}

// int32View returns the storage of b as int32s, for index tables kept in the
// float32 scratch pool.
func int32View(b []float32) []int32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b))
}
