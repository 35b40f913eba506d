// Package kernels holds the heavy numeric kernels behind a small interface, so
// the tensor operations above it do not depend on where or how they run.
//
// The CPU backend is the only one today; a GPU backend would implement Backend
// and be selected with Use.
package kernels

import "sync/atomic"

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

	// ConvBackward accumulates the gradients of a convolution given dy: dx
	// (may be nil when the input needs none), dw and db (may be nil).
	ConvBackward(s ConvShape, x, w, dy, dx, dw, db []float32)
}

var current atomic.Pointer[Backend]

func init() {
	var b Backend = NewCPU()
	current.Store(&b)
}

// Default returns the backend in use.
func Default() Backend { return *current.Load() }

// Use makes b the backend in use and returns the previous one.
func Use(b Backend) Backend {
	return *current.Swap(&b)
}
