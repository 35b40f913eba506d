package tensor

import (
	"fmt"
	"math"

	"github.com/kestrel-ml/kestrel/internal/kernels"
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

	parallel.ForWorkers(n*c, parallel.Workers(len(x.Data)), func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			src := x.Data[p*h*w:][:h*w]
			dst := out.Data[p*oh*ow:][:oh*ow]
			idx := arg[p*oh*ow:][:oh*ow]
			if size == 2 && stride == 2 {
				kernels.MaxPool2x2(dst, idx, src, w, oh, ow)
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
		parallel.ForWorkers(n*c, parallel.Workers(len(x.Data)), func(_, lo, hi int) {
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
