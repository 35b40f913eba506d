// Package models holds ready-made networks.
package models

import (
	"math/rand/v2"

	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/tensor"
)

// SimpleCNN is the CIFAR-10 network of the PyTorch case study: three blocks of
// Conv2d 3×3 (padding 1) → BatchNorm2d → ReLU → MaxPool2d(2), with channels
// 3→32→64→128, then Flatten → Linear(2048, 256) → ReLU → Dropout(0.5) →
// Linear(256, 10). It maps images [N, 3, 32, 32] to logits [N, 10] and has
// 620,810 trainable parameters.
//
// Its state is named as PyTorch's state_dict of the same layout written as two
// nn.Sequential blocks, features and classifier: features.0.weight,
// features.1.running_mean, …, classifier.4.bias.
type SimpleCNN struct {
	Features   *nn.Sequential
	Classifier *nn.Sequential
}

// NewSimpleCNN returns a SimpleCNN initialised with PyTorch's default
// initialisations drawn from rng; dropout masks come from a generator seeded
// with dropoutSeed.
func NewSimpleCNN(rng *rand.Rand, dropoutSeed uint64) *SimpleCNN {
	block := func(in, out int) []nn.Module {
		return []nn.Module{
			nn.NewConv2d(rng, in, out, 3, 1, 1),
			nn.NewBatchNorm2d(out),
			nn.ReLU{},
			nn.MaxPool2d{Size: 2, Stride: 2},
		}
	}
	var features []nn.Module
	features = append(features, block(3, 32)...)
	features = append(features, block(32, 64)...)
	features = append(features, block(64, 128)...)
	return &SimpleCNN{
		Features: nn.NewSequential(features...),
		Classifier: nn.NewSequential(
			nn.Flatten{},
			nn.NewLinear(rng, 128*4*4, 256),
			nn.ReLU{},
			nn.NewDropout(0.5, dropoutSeed),
			nn.NewLinear(rng, 256, 10),
		),
	}
}

// Forward maps images [N, 3, 32, 32] to logits [N, 10].
func (m *SimpleCNN) Forward(x *tensor.Tensor) *tensor.Tensor {
	features := m.Features.Forward(x) // [N, 128, 4, 4]
	logits := m.Classifier.Forward(features)
	if !tensor.GradEnabled() {
		features.Free() // nothing will read it: no backward pass is coming
	}
	return logits
}

// State implements nn.Module.
func (m *SimpleCNN) State(prefix string) []nn.State {
	return append(m.Features.State(prefix+"features."), m.Classifier.State(prefix+"classifier.")...)
}

// SetTraining implements nn.Module.
func (m *SimpleCNN) SetTraining(on bool) {
	m.Features.SetTraining(on)
	m.Classifier.SetTraining(on)
}

// Children implements nn.Container.
func (m *SimpleCNN) Children() []nn.Module {
	return []nn.Module{m.Features, m.Classifier}
}
