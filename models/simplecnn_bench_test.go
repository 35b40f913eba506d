package models

import (
	"math/rand/v2"
	"testing"

	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/optim"
	"github.com/kestrel-ml/kestrel/tensor"
)

// benchBatch returns a random batch of CIFAR-sized images [n, 3, 32, 32] and labels.
func benchBatch(n int) (*tensor.Tensor, []int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.RandN(rng, n, 3, 32, 32)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	return x, labels
}

// BenchmarkSimpleCNNTrainStep times one training step (forward, loss,
// backward, Adam update) at batch 128.
func BenchmarkSimpleCNNTrainStep(b *testing.B) {
	const batch = 128
	m := NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	opt := optim.NewAdam(nn.Parameters(m), 1e-3)
	x, labels := benchBatch(batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opt.ZeroGrad()
		loss := tensor.CrossEntropy(m.Forward(x), labels, 0)
		loss.Backward()
		opt.Step()
		loss.Release()
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkSimpleCNNInfer times evaluation-mode forward passes at batch 256.
func BenchmarkSimpleCNNInfer(b *testing.B) {
	const batch = 256
	m := NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	m.SetTraining(false)
	x, _ := benchBatch(batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tensor.NoGrad(func() { m.Forward(x).Free() })
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}
