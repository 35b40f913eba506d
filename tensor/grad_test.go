package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// checkGradients compares the gradients that Backward computes for each input
// of f against central finite differences of the scalar Σ f(inputs)⊙weights,
// where weights are fixed random values (so every output element matters).
func checkGradients(t *testing.T, name string, f func(in []*Tensor) *Tensor, inputs ...*Tensor) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	for _, in := range inputs {
		in.SetRequiresGrad(true)
		in.Grad = nil
	}
	probe := f(inputs)
	weights := RandN(rng, probe.Shape...)
	loss := func() float64 {
		var out *Tensor
		NoGrad(func() { out = f(inputs) })
		var s float64
		for i, v := range out.Data {
			s += float64(v) * float64(weights.Data[i])
		}
		return s
	}

	Sum(Mul(f(inputs), weights)).Backward()

	const h = 1e-2
	for k, in := range inputs {
		if in.Grad == nil {
			t.Fatalf("%s: input %d got no gradient", name, k)
		}
		// every element of small inputs, a random sample of large ones
		idx := rng.Perm(len(in.Data))
		if len(idx) > 64 {
			idx = idx[:64]
		}
		for _, i := range idx {
			orig := in.Data[i]
			in.Data[i] = orig + h
			up := loss()
			in.Data[i] = orig - h
			down := loss()
			in.Data[i] = orig
			numeric := (up - down) / (2 * h)
			analytic := float64(in.Grad[i])
			if math.Abs(numeric-analytic) > 3e-3+3e-2*math.Abs(numeric) {
				t.Errorf("%s: input %d element %d: backward %.6g, finite difference %.6g",
					name, k, i, analytic, numeric)
			}
		}
	}
}

// awayFromKinks returns values in ±[0.1, 1.1) spaced apart, so that ReLU and
// max-pooling stay differentiable under the finite-difference step.
func awayFromKinks(rng *rand.Rand, shape ...int) *Tensor {
	t := Zeros(shape...)
	perm := rng.Perm(len(t.Data))
	for i := range t.Data {
		v := 0.1 + float32(perm[i])/float32(len(t.Data))
		if rng.IntN(2) == 0 {
			v = -v
		}
		t.Data[i] = v
	}
	return t
}

func TestGradElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := RandN(rng, 3, 4), RandN(rng, 3, 4)
	checkGradients(t, "Add", func(in []*Tensor) *Tensor { return Add(in[0], in[1]) }, a, b)
	checkGradients(t, "Mul", func(in []*Tensor) *Tensor { return Mul(in[0], in[1]) }, a, b)
	checkGradients(t, "Scale", func(in []*Tensor) *Tensor { return Scale(in[0], -2.5) }, a)
	checkGradients(t, "Sum", func(in []*Tensor) *Tensor { return Sum(in[0]) }, a)
	checkGradients(t, "Mean", func(in []*Tensor) *Tensor { return Mean(in[0]) }, a)
	checkGradients(t, "ReLU", func(in []*Tensor) *Tensor { return ReLU(in[0]) },
		awayFromKinks(rng, 5, 7))
	checkGradients(t, "Flatten", func(in []*Tensor) *Tensor {
		return Mul(Flatten(in[0]), Flatten(in[0]))
	}, RandN(rng, 2, 3, 2, 2))
}

func TestGradLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, w, b := RandN(rng, 5, 7), RandN(rng, 3, 7), RandN(rng, 3)
	checkGradients(t, "Linear", func(in []*Tensor) *Tensor {
		return Linear(in[0], in[1], in[2])
	}, x, w, b)
	checkGradients(t, "MatMul", func(in []*Tensor) *Tensor {
		return MatMul(in[0], in[1])
	}, RandN(rng, 4, 6), RandN(rng, 6, 5))
}

func TestGradConv2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ n, cin, h, w, cout, k, stride, pad int }{
		{2, 3, 6, 5, 4, 3, 1, 1},
		{1, 2, 7, 7, 3, 3, 2, 1},
		{2, 1, 5, 6, 2, 2, 1, 0},
		{1, 3, 4, 4, 2, 1, 1, 0},
	} {
		x := RandN(rng, c.n, c.cin, c.h, c.w)
		w := RandN(rng, c.cout, c.cin, c.k, c.k)
		b := RandN(rng, c.cout)
		checkGradients(t, "Conv2d", func(in []*Tensor) *Tensor {
			return Conv2d(in[0], in[1], in[2], c.stride, c.pad)
		}, x, w, b)
	}
}

func TestGradBatchNorm2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := RandN(rng, 3, 4, 3, 2)
	gamma, beta := RandN(rng, 4), RandN(rng, 4)
	checkGradients(t, "BatchNorm2d/train", func(in []*Tensor) *Tensor {
		return BatchNorm2d(in[0], in[1], in[2], nil, true, 0.1, 1e-5)
	}, x, gamma, beta)

	st := &BatchNormState{
		RunningMean: []float32{0.1, -0.2, 0.3, 0},
		RunningVar:  []float32{1.5, 0.5, 2, 1},
	}
	checkGradients(t, "BatchNorm2d/eval", func(in []*Tensor) *Tensor {
		return BatchNorm2d(in[0], in[1], in[2], st, false, 0.1, 1e-5)
	}, x, gamma, beta)
}

func TestGradMaxPool2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	checkGradients(t, "MaxPool2d", func(in []*Tensor) *Tensor {
		return MaxPool2d(in[0], 2, 2)
	}, awayFromKinks(rng, 2, 3, 6, 4))
	checkGradients(t, "MaxPool2d/overlap", func(in []*Tensor) *Tensor {
		return MaxPool2d(in[0], 3, 2)
	}, awayFromKinks(rng, 1, 2, 7, 7))
}

func TestGradDropout(t *testing.T) {
	x := RandN(rand.New(rand.NewPCG(11, 12)), 4, 8)
	seed := uint64(13)
	checkGradients(t, "Dropout", func(in []*Tensor) *Tensor {
		return Dropout(in[0], 0.5, true, rand.New(rand.NewPCG(seed, seed)))
	}, x)
}

func TestGradLosses(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	logits := RandN(rng, 6, 5)
	targets := []int{0, 4, 2, 2, 1, 3}
	checkGradients(t, "LogSoftmax", func(in []*Tensor) *Tensor { return LogSoftmax(in[0]) }, logits)
	for _, eps := range []float64{0, 0.1} {
		checkGradients(t, "CrossEntropy", func(in []*Tensor) *Tensor {
			return CrossEntropy(in[0], targets, eps)
		}, logits)
	}
}

func TestCrossEntropyValue(t *testing.T) {
	// two classes with equal logits: the loss is log 2 for any target
	loss := CrossEntropy(New([]float32{3, 3, -1, -1}, 2, 2), []int{0, 1}, 0)
	if got := float64(loss.Item()); math.Abs(got-math.Ln2) > 1e-6 {
		t.Fatalf("loss %v, want log 2", got)
	}
	// a confident right answer has a loss near zero, a confident wrong one a large loss
	right := CrossEntropy(New([]float32{20, 0}, 1, 2), []int{0}, 0).Item()
	wrong := CrossEntropy(New([]float32{20, 0}, 1, 2), []int{1}, 0).Item()
	if right > 1e-6 || math.Abs(float64(wrong)-20) > 1e-4 {
		t.Fatalf("losses %v and %v, want about 0 and 20", right, wrong)
	}
}

func TestBatchNormRunningStatistics(t *testing.T) {
	// one channel, values 1..4: mean 2.5, biased variance 1.25, unbiased 5/3
	x := New([]float32{1, 2, 3, 4}, 2, 1, 1, 2)
	st := &BatchNormState{RunningMean: []float32{0}, RunningVar: []float32{1}}
	y := BatchNorm2d(x, Full(1, 1), Zeros(1), st, true, 0.1, 1e-5)
	if math.Abs(float64(st.RunningMean[0])-0.25) > 1e-6 ||
		math.Abs(float64(st.RunningVar[0])-(0.9+0.1*5.0/3)) > 1e-6 || st.NumBatchesTracked != 1 {
		t.Fatalf("running stats %v %v %d", st.RunningMean, st.RunningVar, st.NumBatchesTracked)
	}
	want := (1 - 2.5) / math.Sqrt(1.25+1e-5)
	if math.Abs(float64(y.Data[0])-want) > 1e-5 {
		t.Fatalf("y[0] = %v, want %v", y.Data[0], want)
	}
}

func TestGradientsAccumulate(t *testing.T) {
	w := New([]float32{2}, 1).SetRequiresGrad(true)
	for i := 0; i < 3; i++ {
		Sum(Scale(w, 3)).Backward()
	}
	if w.Grad[0] != 9 {
		t.Fatalf("grad %v after three backward passes, want 9", w.Grad[0])
	}
	var out *Tensor
	NoGrad(func() { out = Scale(w, 3) })
	if out.RequiresGrad() {
		t.Fatal("a result computed under NoGrad requires gradients")
	}
}

func TestSharedInputGradient(t *testing.T) {
	// y = x·x + x uses x three times: dy/dx = 2x + 1
	x := New([]float32{1.5, -2}, 2).SetRequiresGrad(true)
	Sum(Add(Mul(x, x), x)).Backward()
	if x.Grad[0] != 4 || x.Grad[1] != -3 {
		t.Fatalf("grad %v, want [4 -3]", x.Grad)
	}
}
