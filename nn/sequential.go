package nn

import (
	"strconv"

	"github.com/kestrel-ml/kestrel/tensor"
)

// Sequential applies its layers in order. The state of layer i is named
// "i.<name>", as in PyTorch's nn.Sequential.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a container of the given layers.
func NewSequential(layers ...Module) *Sequential {
	return &Sequential{Layers: layers}
}

// Forward implements Module.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x)
	}
	return x
}

// State implements Module.
func (s *Sequential) State(prefix string) []State {
	var st []State
	for i, l := range s.Layers {
		st = append(st, l.State(prefix+strconv.Itoa(i)+".")...)
	}
	return st
}

// SetTraining implements Module.
func (s *Sequential) SetTraining(on bool) {
	for _, l := range s.Layers {
		l.SetTraining(on)
	}
}
