package tensor

import "math/rand/v2"

// Dropout zeroes each element of x with probability p and scales the others by
// 1/(1 − p), drawing from rng, when training; otherwise it returns x unchanged.
func Dropout(x *Tensor, p float64, training bool, rng *rand.Rand) *Tensor {
	if !training || p == 0 {
		return x
	}
	if p >= 1 {
		out := Zeros(x.Shape...)
		record(out, func() {}, x)
		return out
	}
	out := empty(x.Shape...)
	scale := float32(1 / (1 - p))
	mask := allocF32(len(x.Data))
	for i, v := range x.Data {
		if rng.Float64() >= p {
			mask[i] = scale
		}
		out.Data[i] = v * mask[i]
	}
	record(out, func() {
		g := x.grad()
		for i, v := range out.Grad {
			g[i] += v * mask[i]
		}
	}, x)
	out.keep([][]float32{mask}, nil)
	return out
}
