package tensor

import (
	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// Add returns a + b for tensors of the same shape.
func Add(a, b *Tensor) *Tensor {
	mustSameShape("Add", a, b)
	out := empty(a.Shape...)
	for i := range out.Data {
		out.Data[i] = a.Data[i] + b.Data[i]
	}
	record(out, func() {
		for _, in := range []*Tensor{a, b} {
			if in.requiresGrad {
				g := in.grad()
				for i, v := range out.Grad {
					g[i] += v
				}
			}
		}
	}, a, b)
	return out
}

// Mul returns the element-wise product a ⊙ b for tensors of the same shape.
func Mul(a, b *Tensor) *Tensor {
	mustSameShape("Mul", a, b)
	out := empty(a.Shape...)
	for i := range out.Data {
		out.Data[i] = a.Data[i] * b.Data[i]
	}
	record(out, func() {
		if a.requiresGrad {
			g := a.grad()
			for i, v := range out.Grad {
				g[i] += v * b.Data[i]
			}
		}
		if b.requiresGrad {
			g := b.grad()
			for i, v := range out.Grad {
				g[i] += v * a.Data[i]
			}
		}
	}, a, b)
	return out
}

// Scale returns s·a.
func Scale(a *Tensor, s float32) *Tensor {
	out := empty(a.Shape...)
	for i, v := range a.Data {
		out.Data[i] = s * v
	}
	record(out, func() {
		g := a.grad()
		for i, v := range out.Grad {
			g[i] += s * v
		}
	}, a)
	return out
}

// Sum returns the sum of all elements of a as a scalar. It accumulates in
// float64.
func Sum(a *Tensor) *Tensor {
	var s float64
	for _, v := range a.Data {
		s += float64(v)
	}
	out := Scalar(float32(s))
	record(out, func() {
		g := a.grad()
		d := out.Grad[0]
		for i := range g {
			g[i] += d
		}
	}, a)
	return out
}

// Mean returns the mean of all elements of a as a scalar.
func Mean(a *Tensor) *Tensor {
	return Scale(Sum(a), 1/float32(len(a.Data)))
}

// ReLU returns max(a, 0) element-wise. Its gradient at 0 is 0, as in PyTorch.
func ReLU(a *Tensor) *Tensor {
	out := empty(a.Shape...)
	parallel.ForWorkers(len(a.Data), parallel.Workers(len(a.Data)), func(_, lo, hi int) {
		kernels.Relu(out.Data[lo:hi], a.Data[lo:hi])
	})
	record(out, func() {
		g := a.grad()
		parallel.ForWorkers(len(g), parallel.Workers(len(g)), func(_, lo, hi int) {
			kernels.ReluBackward(g[lo:hi], out.Grad[lo:hi], out.Data[lo:hi])
		})
	}, a)
	return out
}

// Reshape returns a tensor with a's values in a new shape; one dimension may be
// -1 and is then inferred. The result shares a's data.
func Reshape(a *Tensor, shape ...int) *Tensor {
	shape = append([]int(nil), shape...)
	infer, known := -1, 1
	for i, s := range shape {
		if s == -1 {
			infer = i
		} else {
			known *= s
		}
	}
	if infer >= 0 && known > 0 {
		shape[infer] = len(a.Data) / known
	}
	out := New(a.Data, shape...)
	out.view = true
	record(out, func() {
		g := a.grad()
		for i, v := range out.Grad {
			g[i] += v
		}
	}, a)
	return out
}

// Flatten reshapes a [N, ...] tensor to [N, rest].
func Flatten(a *Tensor) *Tensor {
	return Reshape(a, a.Shape[0], -1)
}
