package nn

import (
	"math/rand/v2"
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
