// Package optim holds optimizers that update parameters from their gradients,
// with PyTorch's semantics, and learning-rate schedules.
package optim

import "github.com/kestrel-ml/kestrel/tensor"

// Optimizer updates parameters from their accumulated gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()

	// ZeroGrad clears the parameters' gradients.
	ZeroGrad()

	// LR returns the learning rate in use.
	LR() float64

	// SetLR changes the learning rate, as a schedule does.
	SetLR(lr float64)
}

func zeroGrad(params []*tensor.Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}
