package optim

import (
	"math"

	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
	"github.com/kestrel-ml/kestrel/tensor"
)

// Adam is the Adam optimizer (Kingma and Ba, 2015) with torch.optim.Adam's
// semantics, including its L2 weight decay (added to the gradient, not
// decoupled). Defaults: betas 0.9 and 0.999, eps 1e-8, no weight decay.
//
// At step t with gradient g:
//
//	m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²
//	p ← p − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps)
type Adam struct {
	Params       []*tensor.Tensor
	Rate         float64
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64

	// Steps counts the updates each parameter has received (a parameter
	// without a gradient is skipped and not counted, as in PyTorch); M and V
	// hold the moment estimates.
	Steps []int64
	M, V  [][]float32
}

// NewAdam returns Adam over params with learning rate lr and the default
// betas and eps.
func NewAdam(params []*tensor.Tensor, lr float64) *Adam {
	return &Adam{Params: params, Rate: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Step implements Optimizer.
func (o *Adam) Step() {
	if o.M == nil {
		o.M = make([][]float32, len(o.Params))
		o.V = make([][]float32, len(o.Params))
		o.Steps = make([]int64, len(o.Params))
		for i, p := range o.Params {
			o.M[i] = make([]float32, len(p.Data))
			o.V[i] = make([]float32, len(p.Data))
		}
	}
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	c := kernels.AdamCoefficients{Beta1: b1, Rest1: 1 - b1, Beta2: b2, Rest2: 1 - b2,
		Eps: float32(o.Eps), Decay: float32(o.WeightDecay)}

	for i, p := range o.Params {
		if p.Grad == nil {
			continue
		}
		o.Steps[i]++
		t := float64(o.Steps[i])
		c.Step = float32(o.Rate / (1 - math.Pow(o.Beta1, t)))
		c.Bias2 = float32(math.Sqrt(1 - math.Pow(o.Beta2, t)))
		m, v := o.M[i], o.V[i]

		// element by element, so any split across threads gives the same bits
		parallel.ForWorkers(len(p.Grad), parallel.Workers(8*len(p.Grad)), func(_, lo, hi int) {
			kernels.Adam(p.Data[lo:hi], p.Grad[lo:hi], m[lo:hi], v[lo:hi], c)
		})
	}
}

// ZeroGrad implements Optimizer.
func (o *Adam) ZeroGrad() { zeroGrad(o.Params) }

// LR implements Optimizer.
func (o *Adam) LR() float64 { return o.Rate }

// SetLR implements Optimizer.
func (o *Adam) SetLR(lr float64) { o.Rate = lr }
