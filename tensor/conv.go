package tensor

import (
	"fmt"

	"github.com/kestrel-ml/kestrel/internal/kernels"
)

// Conv2d returns the 2-D cross-correlation of x [N, C, H, W] with weight
// w [OC, C, KH, KW] plus bias b [OC] (may be nil), giving [N, OC, OH, OW] with
// OH = (H + 2·padding − KH)/stride + 1 and likewise OW. Padding is with zeros.
func Conv2d(x, w, b *Tensor, stride, padding int) *Tensor {
	if x.Dim() != 4 || w.Dim() != 4 || x.Shape[1] != w.Shape[1] {
		panic(fmt.Sprintf("tensor: Conv2d of input %v and weight %v", x.Shape, w.Shape))
	}
	s := kernels.NewConvShape(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3],
		w.Shape[0], w.Shape[2], w.Shape[3], stride, padding)
	if s.OH <= 0 || s.OW <= 0 {
		panic(fmt.Sprintf("tensor: Conv2d output of input %v and weight %v is empty",
			x.Shape, w.Shape))
	}
	be := kernels.Default()
	out := empty(s.N, s.OC, s.OH, s.OW)
	var bias []float32
	if b != nil {
		bias = b.Data
	}
	be.ConvForward(s, x.Data, w.Data, bias, out.Data)
	record(out, func() {
		var dx, dw, db []float32
		if x.requiresGrad {
			dx = x.grad()
		}
		if w.requiresGrad {
			dw = w.grad()
		}
		if b != nil && b.requiresGrad {
			db = b.grad()
		}
		be.ConvBackward(s, x.Data, w.Data, out.Grad, dx, dw, db)
	}, x, w, b)
	return out
}
