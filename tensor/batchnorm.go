package tensor

import (
	"fmt"
	"math"

	"github.com/kestrel-ml/kestrel/internal/kernels"
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
	parallel.ForWorkers(c, parallel.Workers(2*len(x.Data)), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			if training {
				mean[ch], invStd[ch] = batchStatistics(x, ch, st, momentum, eps)
			} else {
				mean[ch] = st.RunningMean[ch]
				invStd[ch] = float32(1 / math.Sqrt(float64(st.RunningVar[ch])+eps))
			}

			// y = gamma·(x − mean)·invStd + beta = scale·x + shift
			scale := gamma.Data[ch] * invStd[ch]
			shift := beta.Data[ch] - scale*mean[ch]
			for i := 0; i < n; i++ {
				kernels.Affine(out.Data[(i*c+ch)*hw:][:hw], x.Data[(i*c+ch)*hw:][:hw], scale, shift)
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
		parallel.ForWorkers(c, parallel.Workers(2*len(x.Data)), func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invStd[ch]

				sdy, sdyx := affineGrads(ch, n, is, dgamma, dbeta, func(i int) (float32, float32) {
					return kernels.DotSums(dy[(i*c+ch)*hw:][:hw], x.Data[(i*c+ch)*hw:][:hw], mu)
				})
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
					kernels.BNInputGrad(dx[(i*c+ch)*hw:][:hw], dy[(i*c+ch)*hw:][:hw],
						x.Data[(i*c+ch)*hw:][:hw], k, mdy, mu, is*mdyx)
				}
			}
		})
	}, x, gamma, beta)
	return out
}

// batchStatistics returns the mean and 1/√(variance + eps) of channel ch of
// x [N, C, H, W], with the biased variance, and folds them into st's running
// statistics with momentum when st is not nil.
func batchStatistics(x *Tensor, ch int, st *BatchNormState, momentum, eps float64) (
	mean, invStd float32) {
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	m := n * hw

	// one pass of sums shifted by the channel's first value, which keeps the
	// variance accurate when the mean is large
	shift := x.Data[ch*hw]
	var s, ss float64
	for i := 0; i < n; i++ {
		ps, pss := kernels.ShiftedSums(x.Data[(i*c+ch)*hw:][:hw], shift)
		s += float64(ps)
		ss += float64(pss)
	}
	d := s / float64(m)
	mu := float64(shift) + d
	variance := max(ss/float64(m)-d*d, 0)
	if st != nil {
		unbiased := variance
		if m > 1 {
			unbiased = variance * float64(m) / float64(m-1)
		}
		st.RunningMean[ch] = float32((1-momentum)*float64(st.RunningMean[ch]) + momentum*mu)
		st.RunningVar[ch] = float32((1-momentum)*float64(st.RunningVar[ch]) + momentum*unbiased)
	}
	return float32(mu), float32(1 / math.Sqrt(variance+eps))
}

// affineGrads sums Σdy and Σdy·x̂ over the n images of channel ch, given
// each image's Σdy and Σdy·(x − mean) by sums, adds them into dbeta[ch] and
// dgamma[ch] (either may be nil), and returns them.
func affineGrads(ch, n int, invStd float32, dgamma, dbeta []float32,
	sums func(i int) (float32, float32)) (sdy, sdyx float64) {
	for i := 0; i < n; i++ {
		a, b := sums(i)
		sdy += float64(a)
		sdyx += float64(b)
	}
	sdyx *= float64(invStd)
	if dgamma != nil {
		dgamma[ch] += float32(sdyx)
	}
	if dbeta != nil {
		dbeta[ch] += float32(sdy)
	}
	return sdy, sdyx
}
