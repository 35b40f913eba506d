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
// The output and running statistics are bit for bit those of the three
// operations in turn, and the gradients equal theirs up to rounding, but the
// normalised [N, C, H, W] tensor and its gradient are never stored: each image
// plane is normalised into a small scratch buffer and pooled from there, and
// backward takes its sums from the window maxima alone and adds the pooled
// gradient at them. Backward overwrites the output's gradient with the part
// that passes the ReLU.
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
			zero := scratch[2*worker*hw:][:hw]     // stays zero: dy away from the maxima
			grad := scratch[(2*worker+1)*hw:][:hw] // one plane of x's gradient, in place
			for ch := lo; ch < hi; ch++ {
				mu, is := mean[ch], invStd[ch]

				// the sums need only each window's maximum; they also leave in out.Grad
				// the gradient that passes the ReLU
				sdy, sdyx := affineGrads(ch, n, is, dgamma, dbeta, func(i int) (float32, float32) {
					p := i*c + ch
					return pooledSums(out.Grad[p*ohw:][:ohw], out.Data[p*ohw:][:ohw],
						arg[p*ohw:][:ohw], x.Data[p*hw:][:hw], mu)
				})
				if dx == nil && !inPlace {
					continue
				}

				// dx = gamma·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)): the terms that
				// do not depend on dy everywhere, then gamma·invStd·dy at the maxima
				mdy := float32(sdy / float64(m))
				mdyx := float32(sdyx / float64(m))
				k := gamma.Data[ch] * is
				for i := 0; i < n; i++ {
					p := i*c + ch
					xp := x.Data[p*hw:][:hw]
					d := xp
					if inPlace {
						clear(grad)
						kernels.BNInputGrad(grad, zero, xp, k, mdy, mu, is*mdyx)
						copy(xp, grad)
					} else {
						d = dx[p*hw:][:hw]
						kernels.BNInputGrad(d, zero, xp, k, mdy, mu, is*mdyx)
					}
					g := out.Grad[p*ohw:][:ohw]
					for j, a := range arg[p*ohw:][:ohw] {
						d[a] += k * g[j]
					}
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

// pooledSums returns Σdy and Σdy·(x − mu) over one plane x of a normalisation
// whose output went through a ReLU and max-pooling: dy is the pooled
// gradient g at the window maxima at (within x) where the pooled output z is
// not zero, and zero everywhere else. It leaves in g the part that passes the
// ReLU.
func pooledSums(g, z []float32, at []int32, x []float32, mu float32) (sdy, sdyx float32) {
	z, at = z[:len(g)], at[:len(g)]
	var s0, s1, d0, d1 float32
	j := 0
	for ; j+2 <= len(g); j += 2 {
		v0, v1 := passed(g[j], z[j]), passed(g[j+1], z[j+1])
		g[j], g[j+1] = v0, v1
		s0 += v0
		s1 += v1
		d0 += v0 * (x[at[j]] - mu)
		d1 += v1 * (x[at[j+1]] - mu)
	}
	if j < len(g) {
		v := passed(g[j], z[j])
		g[j] = v
		s0 += v
		d0 += v * (x[at[j]] - mu)
	}
	return s0 + s1, d0 + d1
}

// passed is v where the bits of the ReLU output z are not zero, as ReLU's
// backward pass lets a gradient through, and +0 elsewhere, without a branch.
func passed(v, z float32) float32 {
	mask := uint32(-int32(min(math.Float32bits(z), 1)))
	return math.Float32frombits(math.Float32bits(v) & mask)
}
