package tensor

import (
	"fmt"

	"github.com/kestrel-ml/kestrel/internal/kernels"
)

// MatMul returns a·b for a [M, K] and b [K, N], giving [M, N].
func MatMul(a, b *Tensor) *Tensor {
	if a.Dim() != 2 || b.Dim() != 2 || a.Shape[1] != b.Shape[0] {
		panic(fmt.Sprintf("tensor: MatMul of shapes %v and %v", a.Shape, b.Shape))
	}
	m, k, n := a.Shape[0], a.Shape[1], b.Shape[1]
	be := kernels.Default()
	out := empty(m, n)
	be.MatMul(false, false, m, n, k, a.Data, b.Data, 0, out.Data)
	record(out, func() {
		if a.requiresGrad {
			// dA[M, K] += dOut[M, N] · Bᵀ
			be.MatMul(false, true, m, k, n, out.Grad, b.Data, 1, a.grad())
		}
		if b.requiresGrad {
			// dB[K, N] += Aᵀ · dOut[M, N]
			be.MatMul(true, false, k, n, m, a.Data, out.Grad, 1, b.grad())
		}
	}, a, b)
	return out
}

// Linear returns x·wᵀ + b for input x [N, in], weight w [out, in] (PyTorch's
// layout) and bias b [out] (may be nil), giving [N, out].
func Linear(x, w, b *Tensor) *Tensor {
	if x.Dim() != 2 || w.Dim() != 2 || x.Shape[1] != w.Shape[1] {
		panic(fmt.Sprintf("tensor: Linear of input %v and weight %v", x.Shape, w.Shape))
	}
	n, in, outF := x.Shape[0], x.Shape[1], w.Shape[0]
	be := kernels.Default()
	out := empty(n, outF)
	var beta float32
	if b != nil {
		for i := 0; i < n; i++ {
			copy(out.Data[i*outF:(i+1)*outF], b.Data)
		}
		beta = 1
	}
	be.MatMul(false, true, n, outF, in, x.Data, w.Data, beta, out.Data)
	record(out, func() {
		dy := out.Grad
		if x.requiresGrad {
			// dX[N, in] += dY[N, out] · W[out, in]
			be.MatMul(false, false, n, in, outF, dy, w.Data, 1, x.grad())
		}
		if w.requiresGrad {
			// dW[out, in] += dYᵀ · X
			be.MatMul(true, false, outF, in, n, dy, x.Data, 1, w.grad())
		}
		if b != nil && b.requiresGrad {
			g := b.grad()
			for i := 0; i < n; i++ {
				for j, v := range dy[i*outF : (i+1)*outF] {
					g[j] += v
				}
			}
		}
	}, x, w, b)
	return out
}
