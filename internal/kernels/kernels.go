// Package kernels holds the heavy numeric kernels behind a small interface, so
// the tensor operations above it do not depend on where or how they run.
//
// The CPU backend is the only one today; a GPU backend would implement Backend
// and be selected with Use.
package kernels

import (
	"os"
	"sync/atomic"
)

// ConvShape describes a 2-D convolution over a batch in NCHW layout.
//
// Input x is [N, C, H, W], weight w is [OC, C, KH, KW], bias b is [OC] and
// output y is [N, OC, OH, OW], where OH = (H + 2*Pad - KH)/Stride + 1 and
// likewise OW.
type ConvShape struct {
	N, C, H, W  int
	OC, KH, KW  int
	Stride, Pad int
	OH, OW      int
}

// NewConvShape fills in the output size of a convolution.
func NewConvShape(n, c, h, w, oc, kh, kw, stride, pad int) ConvShape {
	return ConvShape{
		N: n, C: c, H: h, W: w, OC: oc, KH: kh, KW: kw, Stride: stride, Pad: pad,
		OH: (h+2*pad-kh)/stride + 1,
		OW: (w+2*pad-kw)/stride + 1,
	}
}

// Backend computes the heavy operations. All slices are dense and row-major.
// Gradient outputs accumulate (+=) into what they are given.
type Backend interface {
	// Name names the backend and the micro-kernel it uses, such as "cpu/avx512".
	Name() string

	// MatMul computes C = op(A)·op(B) + beta·C, where op(A) is m×k (A is k×m
	// when transA) and op(B) is k×n (B is n×k when transB); C is m×n.
	MatMul(transA, transB bool, m, n, k int, a, b []float32, beta float32, c []float32)

	// ConvForward computes y = conv(x, w) + b; b may be nil.
	ConvForward(s ConvShape, x, w, b, y []float32)

	// ConvBackward accumulates the gradients of a convolution given dy into
	// dx, dw and db; each may be nil when that gradient is not needed.
	ConvBackward(s ConvShape, x, w, dy, dx, dw, db []float32)
}

var current atomic.Pointer[Backend]

// init installs the CPU backend. The environment variable KESTREL_CONV=im2col
// makes it compute every convolution by im2col and a matrix multiply, and
// KESTREL_CONV=winograd2x2 every Winograd convolution by F(2×2, 3×3), for
// comparison with the default choice.
func init() {
	cpu := NewCPU()
	switch os.Getenv("KESTREL_CONV") {
	case "im2col":
		cpu.Algorithm = ConvIm2col
	case "winograd2x2":
		cpu.Algorithm = ConvWinograd2x2
	}
	var b Backend = cpu
	current.Store(&b)
}

// Default returns the backend in use.
func Default() Backend { return *current.Load() }

// Use makes b the backend in use and returns the previous one.
func Use(b Backend) Backend {
	return *current.Swap(&b)
}

// Counter is a Backend that passes every call on to another backend and
// counts the floating-point operations of the products it computes: 2·m·n·k
// for a matrix multiply, and for a convolution 2·N·OC·OH·OW·C·KH·KW for each
// of the output, the weight gradient and the input gradient it computes.
type Counter struct {
	Inner Backend
	flops atomic.Int64
}

// NewCounter returns a Counter in front of b.
func NewCounter(b Backend) *Counter { return &Counter{Inner: b} }

// Flops reports the operations counted so far.
func (c *Counter) Flops() int64 { return c.flops.Load() }

// Name implements Backend.
func (c *Counter) Name() string { return c.Inner.Name() }

// MatMul implements Backend.
func (c *Counter) MatMul(transA, transB bool, m, n, k int, a, b []float32, beta float32,
	out []float32) {
	c.flops.Add(2 * int64(m) * int64(n) * int64(k))
	c.Inner.MatMul(transA, transB, m, n, k, a, b, beta, out)
}

// ConvForward implements Backend.
func (c *Counter) ConvForward(s ConvShape, x, w, b, y []float32) {
	c.flops.Add(convFlops(s))
	c.Inner.ConvForward(s, x, w, b, y)
}

// ConvBackward implements Backend.
func (c *Counter) ConvBackward(s ConvShape, x, w, dy, dx, dw, db []float32) {
	if dx != nil {
		c.flops.Add(convFlops(s))
	}
	if dw != nil {
		c.flops.Add(convFlops(s))
	}
	c.Inner.ConvBackward(s, x, w, dy, dx, dw, db)
}

// convFlops is 2·N·OC·OH·OW·C·KH·KW, the operations of one convolution product.
func convFlops(s ConvShape) int64 {
	return 2 * int64(s.N) * int64(s.OC) * int64(s.OH*s.OW) * int64(s.C*s.KH*s.KW)
}
