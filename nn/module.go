// Package nn holds neural-network layers built on package tensor: a Module
// interface, the common layers with PyTorch's default initialisations, and
// containers.
//
// Every module names its state the way PyTorch's state_dict does (weight, bias,
// running_mean, …, prefixed by the dotted path of containing modules), so
// weights move between Kestrel and PyTorch by name.
package nn

import "github.com/kestrel-ml/kestrel/tensor"

// Module is a layer or a network of layers.
type Module interface {
	// Forward computes the module's output for input x.
	Forward(x *tensor.Tensor) *tensor.Tensor

	// State lists the module's parameters and buffers in PyTorch's state_dict
	// order, each name prefixed with prefix.
	State(prefix string) []State

	// SetTraining switches between training mode (batch statistics, dropout)
	// and evaluation mode.
	SetTraining(on bool)
}

// State is one named entry of a module's state: a trainable parameter, a
// float32 buffer such as a running mean, or an integer counter.
type State struct {
	// Name is the dotted PyTorch state_dict name, such as "features.1.weight".
	Name string

	// Param is true for trainable parameters.
	Param bool

	// Tensor holds float32 state; nil for counters.
	Tensor *tensor.Tensor

	// Count points at an integer scalar such as num_batches_tracked; nil
	// for float32 state.
	Count *int64
}

// Parameters returns the trainable parameters of m in state order.
func Parameters(m Module) []*tensor.Tensor {
	var ps []*tensor.Tensor
	for _, s := range m.State("") {
		if s.Param {
			ps = append(ps, s.Tensor)
		}
	}
	return ps
}

// CountParameters returns the number of trainable scalars in m.
func CountParameters(m Module) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.Numel()
	}
	return n
}

// ZeroGrad clears the gradients of m's parameters.
func ZeroGrad(m Module) {
	for _, p := range Parameters(m) {
		p.ZeroGrad()
	}
}

// Container is a module made of other modules.
type Container interface {
	Module

	// Children returns the modules directly inside this one, in order.
	Children() []Module
}

// Walk calls fn on m and then on every module inside it, depth first.
func Walk(m Module, fn func(Module)) {
	fn(m)
	if c, ok := m.(Container); ok {
		for _, child := range c.Children() {
			Walk(child, fn)
		}
	}
}
