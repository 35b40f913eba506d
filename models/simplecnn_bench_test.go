package models

import (
	"math/rand/v2"
	"testing"

	"github.com/kestrel-ml/kestrel/internal/kernels"
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

// benchSteps times step after one counted step (which also warms the buffer
// pool) and reports images/s and the GFLOP/s of the convolutions and matrix
// products.
func benchSteps(b *testing.B, batch int, step func()) {
	counter := kernels.NewCounter(kernels.Default())
	prev := kernels.Use(counter)
	step()
	kernels.Use(prev)
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*batch)/secs, "images/s")
	b.ReportMetric(float64(counter.Flops())*float64(b.N)/secs/1e9, "GFLOP/s")
}

// BenchmarkSimpleCNNTrainStep times one training step (forward, loss,
// backward, Adam update) at batch 128.
func BenchmarkSimpleCNNTrainStep(b *testing.B) {
	const batch = 128
	m := NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	opt := optim.NewAdam(nn.Parameters(m), 1e-3)
	x, labels := benchBatch(batch)
	benchSteps(b, batch, func() {
		opt.ZeroGrad()
		loss := tensor.CrossEntropy(m.Forward(x), labels, 0)
		loss.Backward()
		opt.Step()
		loss.Release()
	})
}

// BenchmarkSimpleCNNInfer times evaluation-mode forward passes at batch 256.
func BenchmarkSimpleCNNInfer(b *testing.B) { benchInfer(b, 256) }

// BenchmarkSimpleCNNLatency times evaluation-mode forward passes of one image.
func BenchmarkSimpleCNNLatency(b *testing.B) { benchInfer(b, 1) }

func benchInfer(b *testing.B, batch int) {
	m := NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	m.SetTraining(false)
	x, _ := benchBatch(batch)
	benchSteps(b, batch, func() {
		tensor.NoGrad(func() { m.Forward(x).Free() })
	})
}
