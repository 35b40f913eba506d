package train

import (
	"context"

	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/tensor"
)

// Evaluation holds a model's results on a data set.
type Evaluation struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Images   int     `json:"images"`

	// Top5 is the fraction of images whose class is among the five highest
	// scores.
	Top5 float64 `json:"top5_accuracy"`

	// Predictions holds the predicted class of each image in loader order.
	Predictions []int `json:"-"`

	// Labels holds the true class of each image in loader order.
	Labels []int `json:"-"`
}

// Evaluate runs m in evaluation mode over every batch of l without recording
// gradients and returns the mean cross-entropy and the accuracy. It reads l's
// data first if that is deferred (see data.Preload), and leaves m in
// evaluation mode.
func Evaluate(ctx context.Context, m nn.Module, l *data.Loader) (Evaluation, error) {
	var ev Evaluation
	if err := data.Preload(l.Data); err != nil {
		return ev, err
	}
	m.SetTraining(false)
	var lossSum float64
	for b := range l.Epoch(ctx, 0) {
		tensor.NoGrad(func() {
			logits := m.Forward(b.Images)
			loss := tensor.CrossEntropy(logits, b.Labels, 0)
			lossSum += float64(loss.Item()) * float64(len(b.Labels))
			ev.Top5 += float64(countTopK(logits, b.Labels, 5))
			for i, p := range Argmax(logits) {
				ev.Predictions = append(ev.Predictions, p)
				ev.Labels = append(ev.Labels, b.Labels[i])
				if p == b.Labels[i] {
					ev.Accuracy++
				}
			}
			logits.Free()
			b.Images.Free()
		})
		ev.Images += len(b.Labels)
	}
	if err := ctx.Err(); err != nil {
		return ev, err
	}
	if ev.Images > 0 {
		ev.Loss = lossSum / float64(ev.Images)
		ev.Accuracy /= float64(ev.Images)
		ev.Top5 /= float64(ev.Images)
	}
	return ev, nil
}

// Argmax returns the index of the largest value in each row of logits [N, C];
// the first wins ties.
func Argmax(logits *tensor.Tensor) []int {
	n, c := logits.Shape[0], logits.Shape[1]
	out := make([]int, n)
	for i := 0; i < n; i++ {
		row := logits.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = best
	}
	return out
}

// countTopK counts the rows of logits [N, C] whose label scores among the k
// highest (ties broken in favour of the label).
func countTopK(logits *tensor.Tensor, labels []int, k int) int {
	n, c := logits.Shape[0], logits.Shape[1]
	hits := 0
	for i := 0; i < n; i++ {
		row := logits.Data[i*c : (i+1)*c]
		higher := 0
		for _, v := range row {
			if v > row[labels[i]] {
				higher++
			}
		}
		if higher < k {
			hits++
		}
	}
	return hits
}

// Confusion returns the confusion matrix of an evaluation: entry [t][p]
// counts images of true class t predicted as p.
func (ev Evaluation) Confusion(classes int) [][]int {
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, p := range ev.Predictions {
		m[ev.Labels[i]][p]++
	}
	return m
}
