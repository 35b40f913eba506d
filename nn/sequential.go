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

// Forward implements Module. When gradients are off (evaluation) it recycles
// each intermediate result as soon as the next layer has consumed it.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	input := x
	for _, l := range s.Layers {
		next := l.Forward(x)
		if x != input && !tensor.GradEnabled() && !sharesStorage(x, next) {
			x.Free()
		}
		x = next
	}
	return x
}

// sharesStorage reports whether a and b are backed by the same memory.
func sharesStorage(a, b *tensor.Tensor) bool {
	return len(a.Data) > 0 && len(b.Data) > 0 && &a.Data[0] == &b.Data[0]
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

// Children implements Container.
func (s *Sequential) Children() []Module { return s.Layers }
