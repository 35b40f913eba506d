package tensor

import (
	"fmt"
	"math"

	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// MaxPool2d returns the maximum over each size×size window of x [N, C, H, W],
// moving by stride, giving [N, C, OH, OW] with OH = (H − size)/stride + 1. The
// gradient flows to the first maximum of each window, as in PyTorch.
func MaxPool2d(x *Tensor, size, stride int) *Tensor {
	if x.Dim() != 4 || size <= 0 || stride <= 0 || x.Shape[2] < size || x.Shape[3] < size {
		panic(fmt.Sprintf("tensor: MaxPool2d(%d, %d) of input %v", size, stride, x.Shape))
	}
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := (h-size)/stride+1, (w-size)/stride+1
	out := empty(n, c, oh, ow)
	arg := allocI32(len(out.Data)) // index within the input plane

	parallel.For(n*c, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			src := x.Data[p*h*w:][:h*w]
			dst := out.Data[p*oh*ow:][:oh*ow]
			idx := arg[p*oh*ow:][:oh*ow]
			if size == 2 && stride == 2 {
				maxPool2x2(dst, idx, src, w, oh, ow)
				continue
			}
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					best, at := float32(math.Inf(-1)), -1
					for ky := 0; ky < size; ky++ {
						row := (oy*stride + ky) * w
						for kx := 0; kx < size; kx++ {
							v := src[row+ox*stride+kx]
							if at < 0 || v > best || (v != v && best == best) {
								best, at = v, row+ox*stride+kx
							}
						}
					}
					dst[oy*ow+ox] = best
					idx[oy*ow+ox] = int32(at)
				}
			}
		}
	})

	record(out, func() {
		g := x.grad()
		parallel.For(n*c, func(_, lo, hi int) {
			for p := lo; p < hi; p++ {
				d := g[p*h*w:][:h*w]
				for j, v := range out.Grad[p*oh*ow:][:oh*ow] {
					d[arg[p*oh*ow+j]] += v
				}
			}
		})
	}, x)
	out.keep(nil, [][]int32{arg})
	return out
}

// maxPool2x2 is MaxPool2d with size 2 and stride 2 on one plane of width w:
// dst and idx are [oh, ow], and idx receives the plane index of each maximum
// (the first one in row-major order on ties). It has no data-dependent
// branches: random signs would mispredict them at every window.
func maxPool2x2(dst []float32, idx []int32, src []float32, w, oh, ow int) {
	for oy := 0; oy < oh; oy++ {
		r0 := src[2*oy*w:][:2*ow]
		r1 := src[(2*oy+1)*w:][:2*ow]
		d := dst[oy*ow:][:ow]
		id := idx[oy*ow:][:ow]
		base := int32(2 * oy * w)
		for ox := range d {
			a, b := r0[2*ox], r0[2*ox+1]
			c, e := r1[2*ox], r1[2*ox+1]
			top, bottom := max(a, b), max(c, e)
			sTop, sBottom, sRow := b2i(b > a), b2i(e > c), b2i(bottom > top)

			// top row: base + sTop; bottom row: base + w + sBottom
			d[ox] = max(top, bottom)
			id[ox] = base + int32(2*ox) + sTop + sRow*(int32(w)+sBottom-sTop)
		}
	}
}

// b2i converts a comparison to 0 or 1 without a branch.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
