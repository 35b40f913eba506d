package optim

import "github.com/kestrel-ml/kestrel/tensor"

// SGD is stochastic gradient descent with optional momentum, Nesterov momentum
// and L2 weight decay, following torch.optim.SGD:
//
//	g ← g + wd·p
//	b ← g on the first step, else b ← μ·b + (1 − dampening)·g
//	g ← g + μ·b (Nesterov) or g ← b
//	p ← p − lr·g
type SGD struct {
	Params      []*tensor.Tensor
	Rate        float64
	Momentum    float64
	Dampening   float64
	Nesterov    bool
	WeightDecay float64

	// Buffers holds the momentum buffer of each parameter once it exists.
	Buffers [][]float32
}

// NewSGD returns plain SGD over params with learning rate lr.
func NewSGD(params []*tensor.Tensor, lr float64) *SGD {
	return &SGD{Params: params, Rate: lr}
}

// Step implements Optimizer.
func (o *SGD) Step() {
	if o.Buffers == nil {
		o.Buffers = make([][]float32, len(o.Params))
	}
	lr, mu, damp, wd := float32(o.Rate), float32(o.Momentum), float32(o.Dampening),
		float32(o.WeightDecay)
	for i, p := range o.Params {
		if p.Grad == nil {
			continue
		}
		first := false
		if mu != 0 && o.Buffers[i] == nil {
			o.Buffers[i] = make([]float32, len(p.Data))
			first = true
		}
		buf := o.Buffers[i]
		for j, g := range p.Grad {
			g += wd * p.Data[j]
			if mu != 0 {
				if first {
					buf[j] = g
				} else {
					buf[j] = mu*buf[j] + (1-damp)*g
				}
				if o.Nesterov {
					g += mu * buf[j]
				} else {
					g = buf[j]
				}
			}
			p.Data[j] -= lr * g
		}
	}
}

// ZeroGrad implements Optimizer.
func (o *SGD) ZeroGrad() { zeroGrad(o.Params) }

// LR implements Optimizer.
func (o *SGD) LR() float64 { return o.Rate }

// SetLR implements Optimizer.
func (o *SGD) SetLR(lr float64) { o.Rate = lr }
