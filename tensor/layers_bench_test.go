package tensor

import (
	"math/rand/v2"
	"testing"
)

// The layer benchmarks time each SimpleCNN layer at batch 128 on its own,
// forward (gradients off) and backward (the recorded backward function alone),
// and report images/s and, for the products, GFLOP/s.

const benchBatch = 128

// benchLayer times f on x: the forward pass, then its backward pass. flops is
// the arithmetic of one forward product (0 for memory-bound layers); the
// backward pass of a product does twice that, less the input gradient when x
// needs none.
func benchLayer(b *testing.B, f func(x *Tensor) *Tensor, x *Tensor, flops float64) {
	rng := rand.New(rand.NewPCG(3, 3))
	report := func(b *testing.B, perStep float64) {
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "images/s")
		if perStep > 0 {
			b.ReportMetric(perStep*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
	}
	b.Run("forward", func(b *testing.B) {
		NoGrad(func() { f(x).Free() }) // warm the buffer pool
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			NoGrad(func() { f(x).Free() })
		}
		report(b, flops)
	})
	b.Run("backward", func(b *testing.B) {
		out := f(x)
		out.Grad = RandN(rng, out.Shape...).Data
		back := 2 * flops
		if !x.requiresGrad {
			back = flops
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			out.node.backward()
		}
		b.StopTimer()
		report(b, back)
		out.Release()
	})
}

// convLayer returns a batch [128, c, hw, hw] and a 3×3 convolution of it to oc
// channels with padding 1, and the forward arithmetic.
func convLayer(c, oc, hw int, inputGrad bool) (func(x *Tensor) *Tensor, *Tensor, float64) {
	rng := rand.New(rand.NewPCG(uint64(c), uint64(oc)))
	x := RandN(rng, benchBatch, c, hw, hw).SetRequiresGrad(inputGrad)
	w := RandN(rng, oc, c, 3, 3).SetRequiresGrad(true)
	bias := RandN(rng, oc).SetRequiresGrad(true)
	flops := 2 * float64(benchBatch*oc*hw*hw*c*9)
	return func(x *Tensor) *Tensor { return Conv2d(x, w, bias, 1, 1) }, x, flops
}

func BenchmarkConv1(b *testing.B) { f, x, fl := convLayer(3, 32, 32, false); benchLayer(b, f, x, fl) }
func BenchmarkConv2(b *testing.B) { f, x, fl := convLayer(32, 64, 16, true); benchLayer(b, f, x, fl) }
func BenchmarkConv3(b *testing.B) { f, x, fl := convLayer(64, 128, 8, true); benchLayer(b, f, x, fl) }

// activations returns a batch [128, c, hw, hw] that requires gradients.
func activations(c, hw int) *Tensor {
	return RandN(rand.New(rand.NewPCG(uint64(c), 5)), benchBatch, c, hw, hw).SetRequiresGrad(true)
}

func BenchmarkBatchNorm1(b *testing.B) {
	gamma, beta := Full(1, 32).SetRequiresGrad(true), Zeros(32).SetRequiresGrad(true)
	st := &BatchNormState{RunningMean: make([]float32, 32), RunningVar: make([]float32, 32)}
	benchLayer(b, func(x *Tensor) *Tensor {
		return BatchNorm2d(x, gamma, beta, st, true, 0.1, 1e-5)
	}, activations(32, 32), 0)
}

// BenchmarkBatchNormReLUPool1 times the fused training-mode normalisation,
// ReLU and pooling of the first block, which the three benchmarks before and
// after it time apart.
func BenchmarkBatchNormReLUPool1(b *testing.B) {
	gamma, beta := Full(1, 32).SetRequiresGrad(true), Zeros(32).SetRequiresGrad(true)
	st := &BatchNormState{RunningMean: make([]float32, 32), RunningVar: make([]float32, 32)}
	benchLayer(b, func(x *Tensor) *Tensor {
		return BatchNormReLUMaxPool2d(x, gamma, beta, st, 0.1, 1e-5, false)
	}, activations(32, 32), 0)
}

func BenchmarkReLU1(b *testing.B) { benchLayer(b, ReLU, activations(32, 32), 0) }

func BenchmarkMaxPool1(b *testing.B) {
	benchLayer(b, func(x *Tensor) *Tensor { return MaxPool2d(x, 2, 2) }, activations(32, 32), 0)
}

func BenchmarkMaxPool3(b *testing.B) {
	benchLayer(b, func(x *Tensor) *Tensor { return MaxPool2d(x, 2, 2) }, activations(128, 8), 0)
}

func BenchmarkLinear1(b *testing.B) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := RandN(rng, benchBatch, 2048).SetRequiresGrad(true)
	w, bias := RandN(rng, 256, 2048).SetRequiresGrad(true), RandN(rng, 256).SetRequiresGrad(true)
	benchLayer(b, func(x *Tensor) *Tensor { return Linear(x, w, bias) }, x,
		2*float64(benchBatch*2048*256))
}
