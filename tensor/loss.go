package tensor

import (
	"fmt"
	"math"
)

// LogSoftmax returns log(softmax(x)) along the last dimension of x [N, C].
func LogSoftmax(x *Tensor) *Tensor {
	if x.Dim() != 2 {
		panic(fmt.Sprintf("tensor: LogSoftmax of shape %v", x.Shape))
	}
	n, c := x.Shape[0], x.Shape[1]
	out := Zeros(n, c)
	for i := 0; i < n; i++ {
		logSoftmaxRow(out.Data[i*c:(i+1)*c], x.Data[i*c:(i+1)*c])
	}
	record(out, func() {
		// dx = dy − softmax·Σdy
		g := x.grad()
		for i := 0; i < n; i++ {
			dy := out.Grad[i*c : (i+1)*c]
			var s float32
			for _, v := range dy {
				s += v
			}
			for j, v := range dy {
				g[i*c+j] += v - float32(math.Exp(float64(out.Data[i*c+j])))*s
			}
		}
	}, x)
	return out
}

func logSoftmaxRow(dst, src []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range src {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range src {
		s += math.Exp(float64(v - mx))
	}
	lse := mx + float32(math.Log(s))
	for j, v := range src {
		dst[j] = v - lse
	}
}

// CrossEntropy returns the mean over the batch of the cross-entropy between
// the softmax of logits [N, C] and the target classes (N values in [0, C)),
// as a scalar. With smoothing ε > 0 the target distribution is
// (1 − ε)·onehot + ε/C, as in PyTorch's label_smoothing.
func CrossEntropy(logits *Tensor, targets []int, smoothing float64) *Tensor {
	if logits.Dim() != 2 || len(targets) != logits.Shape[0] {
		panic(fmt.Sprintf("tensor: CrossEntropy of logits %v and %d targets",
			logits.Shape, len(targets)))
	}
	n, c := logits.Shape[0], logits.Shape[1]
	logp := make([]float32, n*c)
	eps := float32(smoothing)
	var total float64
	for i := 0; i < n; i++ {
		t := targets[i]
		if t < 0 || t >= c {
			panic(fmt.Sprintf("tensor: CrossEntropy target %d outside [0, %d)", t, c))
		}
		row := logp[i*c : (i+1)*c]
		logSoftmaxRow(row, logits.Data[i*c:(i+1)*c])
		loss := -float64(row[t]) * float64(1-eps)
		if eps > 0 {
			var s float64
			for _, v := range row {
				s += float64(v)
			}
			loss -= float64(eps) * s / float64(c)
		}
		total += loss
	}
	out := Scalar(float32(total / float64(n)))
	record(out, func() {
		// dlogits = (softmax − target distribution) · dloss / N
		g := logits.grad()
		k := out.Grad[0] / float32(n)
		for i := 0; i < n; i++ {
			for j := 0; j < c; j++ {
				q := eps / float32(c)
				if j == targets[i] {
					q += 1 - eps
				}
				p := float32(math.Exp(float64(logp[i*c+j])))
				g[i*c+j] += k * (p - q)
			}
		}
	}, logits)
	return out
}
