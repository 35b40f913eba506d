package tensor

import (
	"fmt"
	"math"

	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// BatchNormReLUMaxPool2d is MaxPool2d(ReLU(BatchNorm2d(x, …, training)), 2, 2)
// computed in one pass: x [N, C, H, W] is normalised with the batch's
// statistics (which update st, as BatchNorm2d does in training mode), and the
// result [N, C, H/2, W/2] holds the ReLU of the maximum of each 2×2 window.
// st may be nil.
//
// Values and gradients are bit for bit those of the three operations in turn,
// but the normalised [N, C, H, W] tensor and its gradient are never stored:
// each image plane is normalised into a small scratch buffer and pooled from
// there, and backward rebuilds that plane's sparse gradient in the same way.
// Training SimpleCNN-like networks this saves a third of the activation memory
// and several passes over it.
//
// consume promises that nothing else reads x or its gradient (x is an
// intermediate result that only this operation uses). Backward then computes
// x's gradient in x's own storage, and x is empty afterwards.
func BatchNormReLUMaxPool2d(x, gamma, beta *Tensor, st *BatchNormState,
	momentum, eps float64, consume bool) *Tensor {
	if x.Dim() != 4 || gamma.Numel() != x.Shape[1] || beta.Numel() != x.Shape[1] ||
		x.Shape[2] < 2 || x.Shape[3] < 2 {
		panic(fmt.Sprintf("tensor: BatchNormReLUMaxPool2d of input %v with %d weights",
			x.Shape, gamma.Numel()))
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	hw, oh, ow := h*w, h/2, w/2
	ohw := oh * ow
	mean := make([]float32, c)
	invStd := make([]float32, c)
	out := empty(n, c, oh, ow)
	arg := allocI32(len(out.Data)) // index of each window's maximum within its plane

	workers := parallel.Workers(3 * len(x.Data))
	scratch := make([]float32, workers*hw)
	parallel.ForWorkers(c, workers, func(worker, lo, hi int) {
		plane := scratch[worker*hw:][:hw]
		for ch := lo; ch < hi; ch++ {
			mean[ch], invStd[ch] = batchStatistics(x, ch, st, momentum, eps)
			scale := gamma.Data[ch] * invStd[ch]
			shift := beta.Data[ch] - scale*mean[ch]
			for i := 0; i < n; i++ {
				p := i*c + ch
				kernels.Affine(plane, x.Data[p*hw:][:hw], scale, shift)
				dst := out.Data[p*ohw:][:ohw]
				kernels.MaxPool2x2(dst, arg[p*ohw:][:ohw], plane, w, oh, ow)
				kernels.Relu(dst, dst)
			}
		}
	})
	if st != nil {
		st.NumBatchesTracked++
	}

	record(out, func() {
		var dx, dgamma, dbeta []float32
		inPlace := consume && x.requiresGrad && x.Grad == nil && !x.view
		switch {
		case inPlace:
			x.Grad = x.Data
		case x.requiresGrad:
			dx = x.grad()
		}
		if gamma.requiresGrad {
			dgamma = gamma.grad()
		}
		if beta.requiresGrad {
			dbeta = beta.grad()
		}
		m := n * hw
		scratch := make([]float32, 2*workers*hw)
		parallel.ForWorkers(c, workers, func(worker, lo, hi int) {
			dy := scratch[2*worker*hw:][:hw]
			grad := scratch[(2*worker+1)*hw:][:hw] // one plane of x's gradient, in place

			// scatter puts plane p's gradient of the normalised values into dy (zero
			// on entry), and unscatter makes dy zero again. The gradient passes
			// where the output's bits are not zero, as in ReLU's backward pass, by a
			// mask rather than a branch that random signs would mispredict.
			scatter := func(p int) {
				g, z, at := out.Grad[p*ohw:][:ohw], out.Data[p*ohw:][:ohw], arg[p*ohw:][:ohw]
				for j, v := range g {
					pass := uint32(-int32(min(math.Float32bits(z[j]), 1)))
					dy[at[j]] = math.Float32frombits(math.Float32bits(v) & pass)
				}
			}
			unscatter := func(p int) {
				for _, a := range arg[p*ohw:][:ohw] {
					dy[a] = 0
				}
			}

			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invStd[ch]

				sdy, sdyx := affineGrads(ch, n, is, dgamma, dbeta, func(i int) (float32, float32) {
					p := i*c + ch
					scatter(p)
					defer unscatter(p)
					return kernels.DotSums(dy, x.Data[p*hw:][:hw], mu)
				})
				if dx == nil && !inPlace {
					continue
				}

				// dx = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))
				mdy := float32(sdy / float64(m))
				mdyx := float32(sdyx / float64(m))
				k := gamma.Data[ch] * is
				for i := 0; i < n; i++ {
					p := i*c + ch
					scatter(p)
					xp := x.Data[p*hw:][:hw]
					if inPlace {
						clear(grad)
						kernels.BNInputGrad(grad, dy, xp, k, mdy, mu, is*mdyx)
						copy(xp, grad)
					} else {
						kernels.BNInputGrad(dx[p*hw:][:hw], dy, xp, k, mdy, mu, is*mdyx)
					}
					unscatter(p)
				}
			}
		})
		if inPlace {
			x.Data = nil // its storage now holds the gradient
		}
	}, x, gamma, beta)
	out.keep(nil, [][]int32{arg})
	return out
}
