package nn

import (
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/kestrel-ml/kestrel/tensor"
)

// Sequential applies its layers in order. The state of layer i is named
// "i.<name>", as in PyTorch's nn.Sequential.
type Sequential struct {
	Layers []Module

	// folded holds, by layer index, the convolutions with the evaluation-mode
	// batch normalisation after them folded in, for forward passes without
	// gradients; mu guards it.
	mu     sync.Mutex
	folded map[int]*Conv2d
}

// NewSequential returns a container of the given layers.
func NewSequential(layers ...Module) *Sequential {
	return &Sequential{Layers: layers}
}

// Forward implements Module. When gradients are off (evaluation) it recycles
// each intermediate result as soon as the next layer has consumed it.
//
// Some runs of layers are computed together, with the same results:
//   - A training-mode BatchNorm2d, a ReLU and a 2×2 MaxPool2d run as one
//     operation (tensor.BatchNormReLUMaxPool2d), which never stores the
//     normalised values. When the normalisation's input is an earlier layer's
//     result, the backward pass computes that result's gradient in its own
//     storage, so layers must not keep their results for later reading.
//   - Otherwise a ReLU followed by a MaxPool2d runs as the pooling followed by
//     the ReLU: the two commute (ReLU is monotonic, and a window's maximum is
//     positive exactly when its ReLU is), values and gradients alike, and the
//     ReLU then touches a quarter of the data for 2×2 pooling.
//   - Without gradients, a Conv2d followed by a BatchNorm2d in evaluation mode
//     runs as one convolution whose weights and bias have the normalisation
//     folded in, when the batch is large enough for that to pay (see
//     worthFolding): it saves a pass over the convolution's output and rounds
//     differently only in the last bits.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	input := x
	for i := 0; i < len(s.Layers); i++ {
		l, covered := s.fused(i, x, input)
		i += covered
		next := l.Forward(x)
		if x != input && !tensor.GradEnabled() && !sharesStorage(x, next) {
			x.Free()
		}
		x = next
	}
	return x
}

// fused returns the module that runs layer i on x (input being the
// container's input) and how many of the layers after it that module runs
// too: layer i itself and 0, or one of the fusions Forward describes.
func (s *Sequential) fused(i int, x, input *tensor.Tensor) (Module, int) {
	after := func(k int) Module {
		if i+k < len(s.Layers) {
			return s.Layers[i+k]
		}
		return nil
	}
	switch l := s.Layers[i].(type) {
	case *BatchNorm2d:
		if l.training && isReLU(after(1)) && isPool2x2(after(2)) &&
			x.Dim() == 4 && x.Shape[2] >= 2 && x.Shape[3] >= 2 {
			return normReLUPool{l, x != input}, 2
		}
	case ReLU:
		if pool, ok := after(1).(MaxPool2d); ok {
			return poolReLU{pool}, 1
		}
	case *Conv2d:
		if bn, ok := after(1).(*BatchNorm2d); ok && !bn.training && !tensor.GradEnabled() &&
			worthFolding(x, l) {
			return foldedPair{s, i, l, bn}, 1
		}
	}
	return s.Layers[i], 0
}

// poolReLU is a ReLU followed by max-pooling, run as the pooling followed by
// the ReLU.
type poolReLU struct{ pool MaxPool2d }

// Forward implements Module. Without gradients the pooled values are recycled
// once the ReLU has read them.
func (p poolReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	pooled := p.pool.Forward(x)
	y := tensor.ReLU(pooled)
	if !tensor.GradEnabled() {
		pooled.Free()
	}
	return y
}

// State implements Module; the layers it stands for hold the state.
func (poolReLU) State(string) []State { return nil }

// SetTraining implements Module.
func (poolReLU) SetTraining(bool) {}

// isReLU reports whether l is a ReLU layer.
func isReLU(l Module) bool {
	_, ok := l.(ReLU)
	return ok
}

// isPool2x2 reports whether l is 2×2 max-pooling with stride 2.
func isPool2x2(l Module) bool {
	p, ok := l.(MaxPool2d)
	return ok && p.Size == 2 && p.Stride == 2
}

// normReLUPool is a training-mode batch normalisation followed by a ReLU and
// 2×2 max-pooling, run as one operation that never stores the normalised
// values. consume is set when its input is a result of an earlier layer,
// which nothing else reads.
type normReLUPool struct {
	bn      *BatchNorm2d
	consume bool
}

// Forward implements Module.
func (p normReLUPool) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.BatchNormReLUMaxPool2d(x, p.bn.Weight, p.bn.Bias, &p.bn.Running,
		p.bn.Momentum, p.bn.Eps, p.consume)
}

// State implements Module; the layers it stands for hold the state.
func (normReLUPool) State(string) []State { return nil }

// SetTraining implements Module.
func (normReLUPool) SetTraining(bool) {}

// worthFolding reports whether folding a normalisation into conv saves more
// than it costs for input x: folding touches every weight, the pass it saves
// every output (about N·OC·H·W values), so a single image through a layer with
// many weights is better off without it.
func worthFolding(x *tensor.Tensor, conv *Conv2d) bool {
	if x.Dim() != 4 {
		return false
	}
	outputs := x.Shape[0] * conv.Weight.Shape[0] * x.Shape[2] * x.Shape[3]
	return outputs >= 4*conv.Weight.Numel()
}

// foldedPair is layer i, a convolution, and the evaluation-mode batch
// normalisation after it, run as one folded convolution.
type foldedPair struct {
	s    *Sequential
	i    int
	conv *Conv2d
	bn   *BatchNorm2d
}

// Forward implements Module. The folded weights are rebuilt at every call,
// into the same buffers (so that a backend may recognise them), and used under
// the container's lock, so concurrent passes take turns.
func (p foldedPair) Forward(x *tensor.Tensor) *tensor.Tensor {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.s.fold(p.i, p.conv, p.bn).Forward(x)
}

// State implements Module; the pair is only ever run, never saved.
func (foldedPair) State(string) []State { return nil }

// SetTraining implements Module.
func (foldedPair) SetTraining(bool) {}

// fold returns the convolution conv (layer i) with the evaluation-mode
// normalisation bn folded in: with scale = gamma/√(running_var + eps), weight
// scale·W and bias scale·(b − running_mean) + beta, following the layers'
// current state. The caller holds s.mu.
func (s *Sequential) fold(i int, conv *Conv2d, bn *BatchNorm2d) *Conv2d {
	if s.folded == nil {
		s.folded = map[int]*Conv2d{}
	}
	f := s.folded[i]
	if f == nil || !slices.Equal(f.Weight.Shape, conv.Weight.Shape) {
		f = &Conv2d{
			Weight: tensor.Zeros(conv.Weight.Shape...),
			Bias:   tensor.Zeros(conv.Weight.Shape[0]),
		}
		s.folded[i] = f
	}
	f.Stride, f.Padding = conv.Stride, conv.Padding

	oc := conv.Weight.Shape[0]
	per := conv.Weight.Numel() / oc
	for o := 0; o < oc; o++ {
		v := float64(bn.Running.RunningVar[o]) + bn.Eps
		scale := float64(bn.Weight.Data[o]) / math.Sqrt(v)
		w, fw := conv.Weight.Data[o*per:(o+1)*per], f.Weight.Data[o*per:(o+1)*per]
		for j, x := range w {
			fw[j] = float32(float64(x) * scale)
		}
		b := 0.0
		if conv.Bias != nil {
			b = float64(conv.Bias.Data[o])
		}
		f.Bias.Data[o] = float32((b-float64(bn.Running.RunningMean[o]))*scale +
			float64(bn.Bias.Data[o]))
	}
	return f
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
