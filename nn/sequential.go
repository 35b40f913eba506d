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
//
// A ReLU followed by a MaxPool2d runs as the pooling followed by the ReLU:
// the two commute (ReLU is monotonic, and a window's maximum is positive
// exactly when its ReLU is), values and gradients alike, and the ReLU then
// touches a quarter of the data for 2×2 pooling.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	input := x
	for i := 0; i < len(s.Layers); i++ {
		layers := s.Layers[i : i+1]
		if _, ok := s.Layers[i].(ReLU); ok && i+1 < len(s.Layers) {
			if _, ok := s.Layers[i+1].(MaxPool2d); ok {
				layers = []Module{s.Layers[i+1], s.Layers[i]}
				i++
			}
		}
		for _, l := range layers {
			next := l.Forward(x)
			if x != input && !tensor.GradEnabled() && !sharesStorage(x, next) {
				x.Free()
			}
			x = next
		}
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
