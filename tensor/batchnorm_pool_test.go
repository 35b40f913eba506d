package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestBatchNormReLUMaxPool2dMatchesChain checks the fused operation against
// BatchNorm2d, ReLU and MaxPool2d run one after the other: the same bits in
// the output and the running statistics, and every gradient equal up to
// rounding, on plane widths that take each pooling loop (16, 8 and odd sizes),
// with and without consuming the input.
func TestBatchNormReLUMaxPool2dMatchesChain(t *testing.T) {
	for _, shape := range [][]int{{4, 3, 32, 32}, {3, 5, 8, 8}, {2, 4, 16, 16}, {2, 3, 7, 5}} {
		rng := rand.New(rand.NewPCG(uint64(shape[2]), 3))
		x := RandN(rng, shape...)
		for i := range x.Data {
			x.Data[i] = x.Data[i]*2 + 0.5
		}
		gamma, beta := RandN(rng, shape[1]), RandN(rng, shape[1])
		out := make([]int, 4)
		copy(out, shape)
		out[2], out[3] = shape[2]/2, shape[3]/2
		weights := RandN(rng, out...)

		type result struct {
			y, dx, dgamma, dbeta, mean, variance []float32
		}
		run := func(fused, consume bool) result {
			xs, gs, bs := x.Clone(), gamma.Clone(), beta.Clone()
			for _, p := range []*Tensor{xs, gs, bs} {
				p.SetRequiresGrad(true)
			}
			in := xs
			if consume {
				in = Scale(xs, 1) // an intermediate result, which the operation may consume
			}
			st := &BatchNormState{
				RunningMean: make([]float32, shape[1]),
				RunningVar:  slices.Repeat([]float32{1}, shape[1]),
			}
			var y *Tensor
			if fused {
				y = BatchNormReLUMaxPool2d(in, gs, bs, st, 0.1, 1e-5, consume)
			} else {
				y = MaxPool2d(ReLU(BatchNorm2d(xs, gs, bs, st, true, 0.1, 1e-5)), 2, 2)
			}
			values := slices.Clone(y.Data)
			Sum(Mul(y, weights)).Backward()
			if consume && in.Data != nil {
				t.Fatalf("%v: the consumed input still holds its values", shape)
			}
			return result{values, xs.Grad, gs.Grad, bs.Grad, st.RunningMean, st.RunningVar}
		}
		want := run(false, false)
		for _, consume := range []bool{false, true} {
			got := run(true, consume)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{
				{"output", got.y, want.y}, {"dx", got.dx, want.dx},
				{"dgamma", got.dgamma, want.dgamma}, {"dbeta", got.dbeta, want.dbeta},
				{"running mean", got.mean, want.mean}, {"running var", got.variance, want.variance},
			} {
				if len(c.got) != len(c.want) {
					t.Fatalf("%v %s: %d values, want %d", shape, c.name, len(c.got), len(c.want))
				}
				// values and statistics are computed alike; gradients sum in
				// another order
				exact := c.name == "output" || strings.HasPrefix(c.name, "running")
				for i := range c.want {
					d := math.Abs(float64(c.got[i] - c.want[i]))
					if exact && d != 0 || d > 1e-5*(1+math.Abs(float64(c.want[i]))) {
						t.Fatalf("%v consume=%v %s[%d] = %g, want %g",
							shape, consume, c.name, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}

// TestGradBatchNormReLUMaxPool2d checks the gradients against finite
// differences, once with every window's maximum above zero and once with some
// cut by the ReLU; inputs are spaced apart so that no small step changes
// which element of a window is largest.
func TestGradBatchNormReLUMaxPool2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	x := awayFromKinks(rng, 3, 2, 4, 6)
	for i := range x.Data {
		x.Data[i] *= 4 // the step is then small against the gaps between values
	}
	gamma := New([]float32{0.8, 1.3}, 2)
	beta := New([]float32{3, 2.5}, 2)
	checkGradients(t, "BatchNormReLUMaxPool2d", func(in []*Tensor) *Tensor {
		return BatchNormReLUMaxPool2d(in[0], in[1], in[2], nil, 0.1, 1e-5, false)
	}, x, gamma, beta)

	beta = New([]float32{-0.3, 0.2}, 2)
	checkGradients(t, "BatchNormReLUMaxPool2d", func(in []*Tensor) *Tensor {
		return BatchNormReLUMaxPool2d(in[0], in[1], in[2], nil, 0.1, 1e-5, false)
	}, x, gamma, beta)
}
