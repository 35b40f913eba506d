package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/internal/torchtest"
	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/tensor"
)

// readRef reads the reference tensors a script wrote, by name.
func readRef(t *testing.T, path string) map[string]checkpoint.Tensor {
	t.Helper()
	ts, _, err := checkpoint.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]checkpoint.Tensor{}
	for _, x := range ts {
		ref[x.Name] = x
	}
	return ref
}

// tolerance bounds |got − want| per element by Abs + Rel·|want| + Max·max|want|.
type tolerance struct{ Abs, Rel, Max float64 }

// values is for outputs (logits, losses, running statistics): float32 rounding
// through a few thousand-term sums.
var values = tolerance{Abs: 2e-5, Rel: 1e-4}

// grads is for gradients, judged against the tensor's largest entry: a wrong
// term or a dropped factor moves entries by far more than this.
var grads = tolerance{Abs: 1e-7, Max: 1e-4}

// compare checks got against the reference tensor name and logs the largest
// difference.
func compare(t *testing.T, ref map[string]checkpoint.Tensor, name string, got []float32,
	shape []int, tol tolerance) {
	t.Helper()
	want, ok := ref[name]
	if !ok {
		t.Errorf("%s: no reference tensor", name)
		return
	}
	if !slices.Equal(want.Shape, shape) || len(want.F32) != len(got) {
		t.Errorf("%s: shape %v, PyTorch has %v", name, shape, want.Shape)
		return
	}
	maxRef := maxAbs(want.F32)
	worst, worstAt, worstExcess := 0.0, 0, math.Inf(-1)
	for i, g := range got {
		w := float64(want.F32[i])
		d := math.Abs(float64(g) - w)
		bound := tol.Abs + tol.Rel*math.Abs(w) + tol.Max*maxRef
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		worst = max(worst, d)
		if d-bound > worstExcess {
			worstExcess, worstAt = d-bound, i
		}
	}
	t.Logf("%-42s max |diff| %.3g (max |ref| %.3g)", name, worst, maxRef)
	if worstExcess > 0 {
		t.Errorf("%s[%d] = %g, PyTorch %g (max |ref| %g)", name, worstAt, got[worstAt],
			want.F32[worstAt], maxRef)
	}
}

// maxAbs returns the largest |v| of vs.
func maxAbs(vs []float32) float64 {
	var m float64
	for _, v := range vs {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}

// randomizeBatchNorm gives every batch normalisation layer of m non-trivial
// affine parameters and running statistics, so both are exercised.
func randomizeBatchNorm(m *models.SimpleCNN, rng *rand.Rand) {
	for _, l := range m.Features.Layers {
		b, ok := l.(*nn.BatchNorm2d)
		if !ok {
			continue
		}
		for i := range b.Weight.Data {
			b.Weight.Data[i] = float32(0.5 + rng.Float64())
			b.Bias.Data[i] = float32(0.1 * rng.NormFloat64())
			b.Running.RunningMean[i] = float32(0.2 * rng.NormFloat64())
			b.Running.RunningVar[i] = float32(0.5 + rng.Float64())
		}
		b.Running.NumBatchesTracked = 7
	}
}

// TestTorchParitySimpleCNN runs SimpleCNN in Kestrel and in PyTorch on the same
// weights and batch, and compares logits, losses, every parameter gradient, the
// input gradient and the batch-norm state after each pass.
func TestTorchParitySimpleCNN(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2024, 11))
	m := models.NewSimpleCNN(rng, 5)
	randomizeBatchNorm(m, rng)

	// dropout masks cannot match across frameworks (different generators), so
	// both sides use p = 0; everything else runs as in training
	m.Classifier.Layers[3].(*nn.Dropout).P = 0

	statePath := filepath.Join(dir, "state.safetensors")
	if err := checkpoint.Save(statePath, m, nil); err != nil {
		t.Fatal(err)
	}
	const n = 8
	x := tensor.RandN(rng, n, 3, 32, 32).SetRequiresGrad(true)
	labels := make([]int, n)
	labels64 := make([]int64, n)
	for i := range labels {
		labels[i] = rng.IntN(10)
		labels64[i] = int64(labels[i])
	}
	inputsPath := filepath.Join(dir, "inputs.safetensors")
	err := checkpoint.WriteFile(inputsPath, []checkpoint.Tensor{
		{Name: "x", Shape: x.Shape, F32: x.Data},
		{Name: "labels", Shape: []int{n}, I64: labels64},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "torch.safetensors")
	torchtest.Run(t, filepath.Join("testdata", "torch_parity.py"), statePath, inputsPath, outPath)
	ref := readRef(t, outPath)

	// a convolution's bias gradient is exactly zero when batch statistics
	// normalise its output, so in training mode it is judged against the scale
	// of its weight's gradient instead of its own rounding noise
	convWeight := map[string]string{}
	for i, l := range m.Features.Layers {
		if _, ok := l.(*nn.Conv2d); ok {
			convWeight[fmt.Sprintf("features.%d.bias", i)] = fmt.Sprintf("features.%d.weight", i)
		}
	}

	// the same three passes, in the same order, as the script
	for _, pass := range []struct {
		name      string
		training  bool
		smoothing float64
	}{{"train", true, 0}, {"smooth", true, 0.1}, {"eval", false, 0}} {
		nn.ZeroGrad(m)
		x.ZeroGrad()
		m.SetTraining(pass.training)
		logits := m.Forward(x)
		loss := tensor.CrossEntropy(logits, labels, pass.smoothing)
		loss.Backward()

		p := pass.name + "."
		compare(t, ref, p+"logits", logits.Data, logits.Shape, values)
		compare(t, ref, p+"loss", loss.Data, []int{}, values)
		compare(t, ref, p+"input_grad", x.Grad, x.Shape, grads)
		for _, s := range m.State("") {
			switch {
			case s.Param:
				tol := grads
				if w, ok := convWeight[s.Name]; ok && pass.training {
					tol = tolerance{Abs: grads.Max * maxAbs(ref[p+"grad."+w].F32)}
				}
				compare(t, ref, p+"grad."+s.Name, s.Tensor.Grad, s.Tensor.Shape, tol)
			case s.Count != nil:
				want := ref[p+"state."+s.Name]
				if len(want.I64) != 1 || want.I64[0] != *s.Count {
					t.Errorf("%sstate.%s = %d, PyTorch %v", p, s.Name, *s.Count, want.I64)
				}
			default:
				compare(t, ref, p+"state."+s.Name, s.Tensor.Data, s.Tensor.Shape, values)
			}
		}
		if pass.name == "eval" {
			var smooth *tensor.Tensor
			tensor.NoGrad(func() { smooth = tensor.CrossEntropy(logits, labels, 0.1) })
			compare(t, ref, "eval.smooth_loss", smooth.Data, []int{}, values)

			// without gradients the model folds batch normalisation into the
			// convolutions; its logits must still be PyTorch's
			var folded *tensor.Tensor
			tensor.NoGrad(func() { folded = m.Forward(x) })
			compare(t, ref, "eval.logits", folded.Data, folded.Shape, values)
		}
	}
}
