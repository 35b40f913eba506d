// Package tensor holds float32 tensors with define-by-run automatic
// differentiation.
//
// A Tensor is a dense, row-major array of float32 values with a shape. Every
// operation in this package that receives a tensor requiring gradients records
// what its backward pass needs; calling Backward on a scalar result then fills
// the Grad of every tensor that requires gradients. Gradients accumulate: call
// ZeroGrad (or let an optimizer do it) between steps.
package tensor

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Tensor is a dense, row-major float32 array with automatic differentiation.
type Tensor struct {
	// Data holds the values in row-major order; len(Data) == Numel().
	Data []float32

	// Shape holds the size of each dimension, outermost first. A scalar has an
	// empty shape.
	Shape []int

	// Grad holds the gradient of the last Backward call with respect to this
	// tensor, with the same shape as Data. It is nil until a backward pass
	// reaches the tensor.
	Grad []float32

	requiresGrad bool
	node         *node

	// view is set when Data belongs to another tensor (a reshape).
	view bool

	// graph lists, after Backward, the tensors the backward pass visited, so
	// Release can recycle their buffers.
	graph []*Tensor
}

// New returns a tensor of the given shape that uses data as its storage.
// It panics if len(data) does not match the shape.
func New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: %d values do not fill shape %v (%d)", len(data), shape, n))
	}
	return &Tensor{Data: data, Shape: append([]int(nil), shape...)}
}

// Zeros returns a zero-filled tensor of the given shape. Large tensors draw
// their storage from a pool of recycled buffers (see Free and Release).
func Zeros(shape ...int) *Tensor {
	return &Tensor{Data: allocF32(numel(shape)), Shape: append([]int(nil), shape...)}
}

// empty returns a tensor of the given shape with arbitrary contents, for
// operations that overwrite every element.
func empty(shape ...int) *Tensor {
	return &Tensor{Data: allocF32Dirty(numel(shape)), Shape: append([]int(nil), shape...)}
}

// Free returns t's storage to the buffer pool for reuse by later tensors and
// leaves t empty. Call it only when nothing reads t any more; a tensor that
// shares another's storage (a reshape) only lets go of it.
func (t *Tensor) Free() {
	if !t.view {
		freeF32(t.Data)
	}
	t.Data = nil
}

// Full returns a tensor of the given shape with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = v
	}
	return t
}

// Scalar returns a tensor of empty shape holding v.
func Scalar(v float32) *Tensor {
	return New([]float32{v})
}

// RandN returns a tensor of the given shape with values drawn from the standard
// normal distribution using rng.
func RandN(rng *rand.Rand, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

// Uniform returns a tensor of the given shape with values drawn uniformly from
// [lo, hi) using rng.
func Uniform(rng *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.Data) }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.Shape) }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Item on a tensor of shape %v", t.Shape))
	}
	return t.Data[0]
}

// RequiresGrad reports whether backward passes compute a gradient for t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks t as a leaf whose gradient backward passes compute, as
// for a trainable parameter. It returns t.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	t.requiresGrad = on
	return t
}

// ZeroGrad sets every element of t.Grad to zero, keeping its storage.
func (t *Tensor) ZeroGrad() {
	clear(t.Grad)
}

// Detach returns a tensor sharing t's data that records no history.
func (t *Tensor) Detach() *Tensor {
	return &Tensor{Data: t.Data, Shape: t.Shape}
}

// Clone returns a deep copy of t's values and shape, without history.
func (t *Tensor) Clone() *Tensor {
	return New(append([]float32(nil), t.Data...), t.Shape...)
}

// String describes the tensor's shape and, for small tensors, its values.
func (t *Tensor) String() string {
	if len(t.Data) <= 16 {
		return fmt.Sprintf("Tensor%v%v", t.Shape, t.Data)
	}
	return fmt.Sprintf("Tensor%v[%v %v %v ...]", t.Shape, t.Data[0], t.Data[1], t.Data[2])
}

// grad returns t.Grad, allocating it zero-filled on first use.
func (t *Tensor) grad() []float32 {
	if t.Grad == nil {
		t.Grad = allocF32(len(t.Data))
	}
	return t.Grad
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= s
	}
	return n
}

func mustSameShape(op string, a, b *Tensor) {
	if !slices.Equal(a.Shape, b.Shape) {
		panic(fmt.Sprintf("tensor: %s of shapes %v and %v", op, a.Shape, b.Shape))
	}
}
