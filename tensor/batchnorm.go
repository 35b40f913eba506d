package tensor

import (
	"fmt"
	"math"

	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// BatchNormState holds the running statistics a batch normalisation layer
// keeps between batches: RunningMean and RunningVar are [C].
type BatchNormState struct {
	RunningMean []float32
	RunningVar  []float32

	// NumBatchesTracked counts the training batches seen.
	NumBatchesTracked int64
}

// BatchNorm2d normalises x [N, C, H, W] per channel and applies the affine
// transform gamma·x̂ + beta with gamma and beta [C].
//
// In training mode it normalises with the batch's mean and biased variance
// and updates st's running statistics with momentum (PyTorch's convention:
// running = (1 − momentum)·running + momentum·batch, with the unbiased
// variance). In evaluation mode it normalises with the running statistics.
// st may be nil in training mode.
func BatchNorm2d(x, gamma, beta *Tensor, st *BatchNormState, training bool,
	momentum, eps float64) *Tensor {
	if x.Dim() != 4 || gamma.Numel() != x.Shape[1] || beta.Numel() != x.Shape[1] {
		panic(fmt.Sprintf("tensor: BatchNorm2d of input %v with %d weights", x.Shape, gamma.Numel()))
	}
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	m := n * hw
	mean := make([]float32, c)
	invStd := make([]float32, c)
	out := empty(x.Shape...)

	// statistics per channel: the batch's when training, the running ones otherwise
	parallel.For(c, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var mu, variance float64
			if training {
				// one pass of sums shifted by the channel's first value, which keeps
				// the variance accurate when the mean is large
				shift := x.Data[ch*hw]
				var s, ss float64
				for i := 0; i < n; i++ {
					ps, pss := shiftedSums(x.Data[(i*c+ch)*hw:][:hw], shift)
					s += float64(ps)
					ss += float64(pss)
				}
				d := s / float64(m)
				mu = float64(shift) + d
				variance = max(ss/float64(m)-d*d, 0)
				if st != nil {
					unbiased := variance
					if m > 1 {
						unbiased = variance * float64(m) / float64(m-1)
					}
					st.RunningMean[ch] = float32((1-momentum)*float64(st.RunningMean[ch]) + momentum*mu)
					st.RunningVar[ch] = float32((1-momentum)*float64(st.RunningVar[ch]) + momentum*unbiased)
				}
			} else {
				mu, variance = float64(st.RunningMean[ch]), float64(st.RunningVar[ch])
			}
			mean[ch] = float32(mu)
			invStd[ch] = float32(1 / math.Sqrt(variance+eps))

			// y = gamma·(x − mean)·invStd + beta = scale·x + shift
			scale := gamma.Data[ch] * invStd[ch]
			shift := beta.Data[ch] - scale*mean[ch]
			for i := 0; i < n; i++ {
				affine(out.Data[(i*c+ch)*hw:][:hw], x.Data[(i*c+ch)*hw:][:hw], scale, shift)
			}
		}
	})
	if training && st != nil {
		st.NumBatchesTracked++
	}

	record(out, func() {
		dy := out.Grad
		var dx, dgamma, dbeta []float32
		if x.requiresGrad {
			dx = x.grad()
		}
		if gamma.requiresGrad {
			dgamma = gamma.grad()
		}
		if beta.requiresGrad {
			dbeta = beta.grad()
		}
		parallel.For(c, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invStd[ch]

				// sums over the channel: Σdy and Σdy·x̂
				var sdy, sdyx float64
				for i := 0; i < n; i++ {
					a, b := dotSums(dy[(i*c+ch)*hw:][:hw], x.Data[(i*c+ch)*hw:][:hw], mu)
					sdy += float64(a)
					sdyx += float64(b)
				}
				sdyx *= float64(is)
				if dgamma != nil {
					dgamma[ch] += float32(sdyx)
				}
				if dbeta != nil {
					dbeta[ch] += float32(sdy)
				}
				if dx == nil {
					continue
				}

				g := gamma.Data[ch]
				if !training {
					// running statistics are constants: dx = gamma·invStd·dy
					for i := 0; i < n; i++ {
						d := dx[(i*c+ch)*hw:][:hw]
						for j, v := range dy[(i*c+ch)*hw:][:hw] {
							d[j] += g * is * v
						}
					}
					continue
				}

				// dx = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))
				mdy := float32(sdy / float64(m))
				mdyx := float32(sdyx / float64(m))
				k := g * is
				for i := 0; i < n; i++ {
					bnInputGrad(dx[(i*c+ch)*hw:][:hw], dy[(i*c+ch)*hw:][:hw],
						x.Data[(i*c+ch)*hw:][:hw], k, mdy, mu, is*mdyx)
				}
			}
		})
	}, x, gamma, beta)
	return out
}

// shiftedSums returns Σ(x − k) and Σ(x − k)² over x, in float32 partial sums
// spread over independent accumulators.
func shiftedSums(x []float32, k float32) (s, ss float32) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a, b, c, d := v[0]-k, v[1]-k, v[2]-k, v[3]-k
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		q0, q1, q2, q3 = q0+a*a, q1+b*b, q2+c*c, q3+d*d
	}
	for ; i < len(x); i++ {
		a := x[i] - k
		s0 += a
		q0 += a * a
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// affine writes dst = scale·x + shift.
func affine(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	for j, v := range x {
		dst[j] = scale*v + shift
	}
}

// dotSums returns Σdy and Σdy·(x − mu) over one plane.
func dotSums(dy, x []float32, mu float32) (sdy, sdyx float32) {
	x = x[:len(dy)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		g := dy[i : i+4 : i+4]
		v := x[i : i+4 : i+4]
		a0, a1, a2, a3 = a0+g[0], a1+g[1], a2+g[2], a3+g[3]
		b0, b1 = b0+g[0]*(v[0]-mu), b1+g[1]*(v[1]-mu)
		b2, b3 = b2+g[2]*(v[2]-mu), b3+g[3]*(v[3]-mu)
	}
	for ; i < len(dy); i++ {
		a0 += dy[i]
		b0 += dy[i] * (x[i] - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// bnInputGrad adds k·(dy − mdy − (x − mu)·c) into dx, the input gradient of
// training-mode batch normalisation with c = invStd·mean(dy·x̂).
func bnInputGrad(dx, dy, x []float32, k, mdy, mu, c float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for j, v := range dy {
		dx[j] += k * (v - mdy - (x[j]-mu)*c)
	}
}
