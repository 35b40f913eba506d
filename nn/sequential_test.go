package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kestrel-ml/kestrel/tensor"
)

// TestSequentialPoolsBeforeReLU checks that a ReLU followed by a MaxPool2d,
// which Sequential runs in the other order, gives exactly the values and input
// gradients of applying them as written, including windows that are all
// negative, windows with ties and zeros.
func TestSequentialPoolsBeforeReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, 2*3*6*6)
	for i := range data {
		// a few distinct values, so that ties and whole negative windows occur
		data[i] = float32(rng.IntN(7)-4) * 0.5
	}
	weights := tensor.RandN(rng, 2, 3, 3, 3)

	run := func(f func(x *tensor.Tensor) *tensor.Tensor) (out, grad []float32) {
		x := tensor.New(append([]float32(nil), data...), 2, 3, 6, 6).SetRequiresGrad(true)
		y := f(x)
		tensor.Sum(tensor.Mul(y, weights)).Backward()
		return y.Data, x.Grad
	}
	seq := NewSequential(ReLU{}, MaxPool2d{Size: 2, Stride: 2})
	gotOut, gotGrad := run(seq.Forward)
	wantOut, wantGrad := run(func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.MaxPool2d(tensor.ReLU(x), 2, 2)
	})
	for i := range wantOut {
		if gotOut[i] != wantOut[i] {
			t.Fatalf("output %d: %v, want %v", i, gotOut[i], wantOut[i])
		}
	}
	nonzero := 0
	for i := range wantGrad {
		if gotGrad[i] != wantGrad[i] {
			t.Fatalf("input gradient %d: %v, want %v", i, gotGrad[i], wantGrad[i])
		}
		if wantGrad[i] != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("no gradient reached the input")
	}
}

// TestSequentialFoldsBatchNorm checks that a Conv2d followed by an
// evaluation-mode BatchNorm2d, which Sequential runs as one folded convolution
// when gradients are off, matches the two layers run one after the other, and
// follows changes to the normalisation's state.
func TestSequentialFoldsBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	conv := NewConv2d(rng, 16, 16, 3, 1, 1) // Winograd-sized, as in a real model
	bn := NewBatchNorm2d(16)
	seq := NewSequential(conv, bn, ReLU{})
	seq.SetTraining(false)
	x := tensor.RandN(rng, 16, 16, 8, 8) // a batch large enough to fold

	for round := 0; round < 2; round++ {
		for c := 0; c < 16; c++ {
			bn.Running.RunningMean[c] = float32(rng.NormFloat64())
			bn.Running.RunningVar[c] = float32(0.5 + rng.Float64())
			bn.Weight.Data[c] = float32(rng.NormFloat64())
			bn.Bias.Data[c] = float32(rng.NormFloat64())
		}
		var got, want *tensor.Tensor
		tensor.NoGrad(func() { got = seq.Forward(x) })
		want = tensor.ReLU(bn.Forward(conv.Forward(x))) // with gradients on: not folded
		worst := 0.0
		for i := range want.Data {
			d := math.Abs(float64(got.Data[i]-want.Data[i])) / (1 + math.Abs(float64(want.Data[i])))
			worst = max(worst, d)
		}
		if worst > 1e-5 {
			t.Fatalf("round %d: folded output differs by %.3g", round, worst)
		}
		if seq.folded[0] == nil {
			t.Fatal("the convolution and normalisation were not folded")
		}
	}
}

// TestSequentialFusesNormReLUPool checks that a training-mode BatchNorm2d, ReLU
// and MaxPool2d, which Sequential runs as one operation (consuming the
// convolution's output before them), give exactly the output and running
// statistics of the layers run in turn, and their gradients up to rounding.
func TestSequentialFusesNormReLUPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := tensor.RandN(rng, 4, 3, 8, 8)
	weights := tensor.RandN(rng, 4, 3, 4, 4)
	type result struct{ out, dx, dgamma, mean, variance []float32 }
	run := func(fused bool) result {
		conv := NewConv2d(rng, 3, 3, 3, 1, 1) // so that the fused input is consumed
		bn := NewBatchNorm2d(3)
		for c := range 3 {
			bn.Weight.Data[c] = float32(rng.NormFloat64())
			bn.Bias.Data[c] = float32(rng.NormFloat64())
		}
		xs := x.Clone().SetRequiresGrad(true)
		var y *tensor.Tensor
		if fused {
			y = NewSequential(conv, bn, ReLU{}, MaxPool2d{Size: 2, Stride: 2}).Forward(xs)
		} else {
			y = MaxPool2d{Size: 2, Stride: 2}.Forward(ReLU{}.Forward(bn.Forward(conv.Forward(xs))))
		}
		out := append([]float32(nil), y.Data...)
		tensor.Sum(tensor.Mul(y, weights)).Backward()
		return result{out, xs.Grad, bn.Weight.Grad, bn.Running.RunningMean, bn.Running.RunningVar}
	}
	rng = rand.New(rand.NewPCG(9, 9))
	want := run(false)
	rng = rand.New(rand.NewPCG(9, 9))
	got := run(true)
	for _, c := range []struct {
		name      string
		got, want []float32
	}{
		{"output", got.out, want.out}, {"input gradient", got.dx, want.dx},
		{"gamma gradient", got.dgamma, want.dgamma},
		{"running mean", got.mean, want.mean}, {"running variance", got.variance, want.variance},
	} {
		// the gradients are summed in another order
		tol := 0.0
		if strings.HasSuffix(c.name, "gradient") {
			tol = 1e-5
		}
		for i := range c.want {
			if d := math.Abs(float64(c.got[i] - c.want[i])); d > tol*(1+math.Abs(float64(c.want[i]))) {
				t.Fatalf("%s %d: %v, want %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
}
