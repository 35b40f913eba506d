package report

import "fmt"

// ClassMetrics holds one class's precision, recall and F1 (fractions in
// [0, 1]) and its support, the number of images whose true class it is.
type ClassMetrics struct {
	Class     string
	Precision float64
	Recall    float64
	F1        float64
	Support   int
}

// PerClass computes per-class metrics from a confusion matrix m [C, C] whose
// rows are true classes and columns predicted classes; classes names the C
// classes (missing names become "class i"). A class never predicted has
// precision 0, one never present has recall 0, and F1 is 0 when both are 0.
func PerClass(m [][]int, classes []string) []ClassMetrics {
	n := len(m)
	out := make([]ClassMetrics, n)
	for c := range n {
		var row, col int
		for j := range n {
			if j < len(m[c]) {
				row += m[c][j]
			}
			if c < len(m[j]) {
				col += m[j][c]
			}
		}
		var tp int
		if c < len(m[c]) {
			tp = m[c][c]
		}
		cm := ClassMetrics{Class: className(classes, c), Support: row}
		if col > 0 {
			cm.Precision = float64(tp) / float64(col)
		}
		if row > 0 {
			cm.Recall = float64(tp) / float64(row)
		}
		if s := cm.Precision + cm.Recall; s > 0 {
			cm.F1 = 2 * cm.Precision * cm.Recall / s
		}
		out[c] = cm
	}
	return out
}

// MacroAverage returns the unweighted mean precision, recall and F1 of ms with
// the total support, labelled "macro average".
func MacroAverage(ms []ClassMetrics) ClassMetrics {
	avg := ClassMetrics{Class: "macro average"}
	if len(ms) == 0 {
		return avg
	}
	for _, m := range ms {
		avg.Precision += m.Precision
		avg.Recall += m.Recall
		avg.F1 += m.F1
		avg.Support += m.Support
	}
	k := float64(len(ms))
	avg.Precision /= k
	avg.Recall /= k
	avg.F1 /= k
	return avg
}

// Confusion counts predictions into a matrix [classes, classes] with rows the
// true class and columns the predicted class. predicted and actual must have
// the same length and hold classes in [0, classes).
func Confusion(predicted, actual []int, classes int) ([][]int, error) {
	if len(predicted) != len(actual) {
		return nil, fmt.Errorf("report: confusion: %d predictions but %d labels; "+
			"pass one prediction per label", len(predicted), len(actual))
	}
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, p := range predicted {
		a := actual[i]
		if p < 0 || p >= classes || a < 0 || a >= classes {
			return nil, fmt.Errorf("report: confusion: item %d has prediction %d, label %d; "+
				"both must be in [0, %d)", i, p, a, classes)
		}
		m[a][p]++
	}
	return m, nil
}

// Top1 returns the accuracy recorded in confusion matrix m (its trace over
// its total), or 0 for an empty matrix.
func Top1(m [][]int) float64 {
	var diag, total int
	for i, row := range m {
		for j, v := range row {
			total += v
			if i == j {
				diag += v
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(diag) / float64(total)
}

// TopK returns the fraction of images whose true class is among the k highest
// scores. scores is [N, C] row-major (logits or probabilities) with
// N = len(labels). Ties rank the lower class index first, as an argmax that
// keeps the first maximum does, so TopK with k = 1 equals that argmax's
// accuracy.
func TopK(scores []float32, labels []int, k int) (float64, error) {
	n := len(labels)
	if n == 0 {
		return 0, fmt.Errorf("report: top-%d: no labels; pass at least one image", k)
	}
	if len(scores)%n != 0 {
		return 0, fmt.Errorf("report: top-%d: %d scores do not split into %d rows; "+
			"pass scores as [N, C] with N = len(labels)", k, len(scores), n)
	}
	c := len(scores) / n
	if k < 1 {
		return 0, fmt.Errorf("report: top-%d: k must be at least 1", k)
	}
	var hits int
	for i, y := range labels {
		if y < 0 || y >= c {
			return 0, fmt.Errorf("report: top-%d: label %d of image %d is outside [0, %d)",
				k, y, i, c)
		}
		row := scores[i*c : (i+1)*c]
		rank := 0
		for j, s := range row {
			if s > row[y] || (s == row[y] && j < y) {
				rank++
			}
		}
		if rank < k {
			hits++
		}
	}
	return float64(hits) / float64(n), nil
}

// BestEpoch returns the index into epochs of the highest finite validation
// accuracy (the first on ties), or -1 when there is none.
func BestEpoch(epochs []Epoch) int {
	best := -1
	for i, e := range epochs {
		if finite(e.ValAccuracy) && (best < 0 || e.ValAccuracy > epochs[best].ValAccuracy) {
			best = i
		}
	}
	return best
}

// EpochsToFraction returns the epoch number at which validation accuracy
// first reached frac (e.g. 0.9) of its best value, or -1 when epochs holds no
// finite validation accuracy.
func EpochsToFraction(epochs []Epoch, frac float64) int {
	best := BestEpoch(epochs)
	if best < 0 {
		return -1
	}
	target := frac * epochs[best].ValAccuracy
	for _, e := range epochs {
		if finite(e.ValAccuracy) && e.ValAccuracy >= target {
			return e.Epoch
		}
	}
	return epochs[best].Epoch
}

// MeanEpoch returns the mean seconds per epoch and mean training images per
// second over the epochs with finite positive values (0 when none).
func MeanEpoch(epochs []Epoch) (seconds, imagesPerSec float64) {
	var ns, ni int
	for _, e := range epochs {
		if finite(e.Seconds) && e.Seconds > 0 {
			seconds += e.Seconds
			ns++
		}
		if finite(e.ImagesPerSec) && e.ImagesPerSec > 0 {
			imagesPerSec += e.ImagesPerSec
			ni++
		}
	}
	if ns > 0 {
		seconds /= float64(ns)
	}
	if ni > 0 {
		imagesPerSec /= float64(ni)
	}
	return seconds, imagesPerSec
}

// className returns classes[i], or "class i" when classes is too short.
func className(classes []string, i int) string {
	if i < len(classes) && classes[i] != "" {
		return classes[i]
	}
	return fmt.Sprintf("class %d", i)
}
