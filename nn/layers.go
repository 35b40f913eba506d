package nn

import (
	"math"
	"math/rand/v2"

	"github.com/kestrel-ml/kestrel/tensor"
)

// Conv2d is a 2-D convolution layer: input [N, InC, H, W], output
// [N, OutC, OH, OW]. Weight is [OutC, InC, K, K] and Bias is [OutC].
type Conv2d struct {
	Weight, Bias    *tensor.Tensor
	Stride, Padding int
}

// NewConv2d returns a convolution with a square kernel, initialised as PyTorch
// does: weight and bias uniform in ±1/√fan_in with fan_in = InC·K·K (Kaiming
// uniform with a = √5).
func NewConv2d(rng *rand.Rand, inC, outC, kernel, stride, padding int) *Conv2d {
	bound := 1 / math.Sqrt(float64(inC*kernel*kernel))
	return &Conv2d{
		Weight:  tensor.Uniform(rng, -bound, bound, outC, inC, kernel, kernel).SetRequiresGrad(true),
		Bias:    tensor.Uniform(rng, -bound, bound, outC).SetRequiresGrad(true),
		Stride:  stride,
		Padding: padding,
	}
}

// Forward implements Module.
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv2d(x, c.Weight, c.Bias, c.Stride, c.Padding)
}

// State implements Module.
func (c *Conv2d) State(prefix string) []State {
	return []State{
		{Name: prefix + "weight", Param: true, Tensor: c.Weight},
		{Name: prefix + "bias", Param: true, Tensor: c.Bias},
	}
}

// SetTraining implements Module; a convolution behaves the same in both modes.
func (c *Conv2d) SetTraining(bool) {}

// Linear is a fully connected layer: input [N, In], output [N, Out]. Weight is
// [Out, In] and Bias is [Out].
type Linear struct {
	Weight, Bias *tensor.Tensor
}

// NewLinear returns a fully connected layer initialised as PyTorch does:
// weight and bias uniform in ±1/√In.
func NewLinear(rng *rand.Rand, in, out int) *Linear {
	bound := 1 / math.Sqrt(float64(in))
	return &Linear{
		Weight: tensor.Uniform(rng, -bound, bound, out, in).SetRequiresGrad(true),
		Bias:   tensor.Uniform(rng, -bound, bound, out).SetRequiresGrad(true),
	}
}

// Forward implements Module.
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Linear(x, l.Weight, l.Bias)
}

// State implements Module.
func (l *Linear) State(prefix string) []State {
	return []State{
		{Name: prefix + "weight", Param: true, Tensor: l.Weight},
		{Name: prefix + "bias", Param: true, Tensor: l.Bias},
	}
}

// SetTraining implements Module; a linear layer behaves the same in both modes.
func (l *Linear) SetTraining(bool) {}

// BatchNorm2d normalises each channel of [N, C, H, W] input, with batch
// statistics while training and running statistics in evaluation. Weight
// (gamma) starts at 1, Bias (beta) at 0, the running mean at 0 and the running
// variance at 1; Momentum defaults to 0.1 and Eps to 1e-5, as in PyTorch.
type BatchNorm2d struct {
	Weight, Bias *tensor.Tensor
	Running      tensor.BatchNormState
	Momentum     float64
	Eps          float64

	running, training bool
	mean, variance    *tensor.Tensor // views of Running for State
}

// NewBatchNorm2d returns a batch normalisation layer over c channels.
func NewBatchNorm2d(c int) *BatchNorm2d {
	b := &BatchNorm2d{
		Weight:   tensor.Full(1, c).SetRequiresGrad(true),
		Bias:     tensor.Zeros(c).SetRequiresGrad(true),
		Momentum: 0.1,
		Eps:      1e-5,
		training: true,
	}
	b.mean = tensor.Zeros(c)
	b.variance = tensor.Full(1, c)
	b.Running.RunningMean = b.mean.Data
	b.Running.RunningVar = b.variance.Data
	return b
}

// Forward implements Module.
func (b *BatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.BatchNorm2d(x, b.Weight, b.Bias, &b.Running, b.training, b.Momentum, b.Eps)
}

// State implements Module.
func (b *BatchNorm2d) State(prefix string) []State {
	return []State{
		{Name: prefix + "weight", Param: true, Tensor: b.Weight},
		{Name: prefix + "bias", Param: true, Tensor: b.Bias},
		{Name: prefix + "running_mean", Tensor: b.mean},
		{Name: prefix + "running_var", Tensor: b.variance},
		{Name: prefix + "num_batches_tracked", Count: &b.Running.NumBatchesTracked},
	}
}

// SetTraining implements Module.
func (b *BatchNorm2d) SetTraining(on bool) { b.training = on }

// ReLU applies max(x, 0) element-wise.
type ReLU struct{}

// Forward implements Module.
func (ReLU) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.ReLU(x) }

// State implements Module; ReLU has no state.
func (ReLU) State(string) []State { return nil }

// SetTraining implements Module.
func (ReLU) SetTraining(bool) {}

// MaxPool2d takes the maximum over Size×Size windows moved by Stride.
type MaxPool2d struct{ Size, Stride int }

// Forward implements Module.
func (m MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.MaxPool2d(x, m.Size, m.Stride)
}

// State implements Module; pooling has no state.
func (MaxPool2d) State(string) []State { return nil }

// SetTraining implements Module.
func (MaxPool2d) SetTraining(bool) {}

// Flatten reshapes [N, ...] input to [N, rest].
type Flatten struct{}

// Forward implements Module.
func (Flatten) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Flatten(x) }

// State implements Module; Flatten has no state.
func (Flatten) State(string) []State { return nil }

// SetTraining implements Module.
func (Flatten) SetTraining(bool) {}

// Dropout zeroes elements with probability P while training, scaling the rest
// by 1/(1 − P), and passes input through in evaluation.
type Dropout struct {
	P        float64
	Source   *rand.PCG
	rng      *rand.Rand
	training bool
}

// NewDropout returns a dropout layer drawing its masks from a PCG generator
// seeded with seed.
func NewDropout(p float64, seed uint64) *Dropout {
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	return &Dropout{P: p, Source: src, rng: rand.New(src), training: true}
}

// Forward implements Module.
func (d *Dropout) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Dropout(x, d.P, d.training, d.rng)
}

// State implements Module; dropout has no state_dict entries.
func (d *Dropout) State(string) []State { return nil }

// SetTraining implements Module.
func (d *Dropout) SetTraining(on bool) { d.training = on }

// RandomSources returns the random generators of m's dropout layers in
// order, so that a training run can save and restore their state.
func RandomSources(m Module) []*rand.PCG {
	var srcs []*rand.PCG
	Walk(m, func(l Module) {
		if d, ok := l.(*Dropout); ok {
			srcs = append(srcs, d.Source)
		}
	})
	return srcs
}
