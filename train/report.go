package train

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/internal/sysinfo"
	"github.com/kestrel-ml/kestrel/report"
)

// Figure files of a run directory.
const (
	CurvesFigure       = "curves.png"
	LRFigure           = "lr_schedule.png"
	AugmentationFigure = "augmentation.png"
	ClassesFigure      = "class_distribution.png"
	PredictionsFigure  = "predictions.png"
	ConfusionFigure    = "confusion_matrix.png"
)

// ClassStats is one class's test precision, recall and F1 (fractions) and
// support (images of that class).
type ClassStats struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Statistics are the derived figures of a run that summary.json and the
// report present besides the raw results.
type Statistics struct {
	// TrainValGap is train accuracy minus validation accuracy at the best
	// epoch.
	TrainValGap float64 `json:"train_val_gap"`

	// EpochsTo90 is the first epoch whose validation accuracy reaches 90% of
	// the best.
	EpochsTo90 int `json:"epochs_to_90pct_best_val"`

	SecondsPerEpoch float64          `json:"seconds_per_epoch"`
	PerClass        []ClassStats     `json:"per_class"`
	Confusion       [][]int          `json:"confusion_matrix"`
	Hardware        sysinfo.Hardware `json:"hardware"`
}

// classNames returns the names of the classes of sets, or "class i": as many
// as Classes names or the test labels need.
func (s Datasets) classNames(labels []int) []string {
	n := len(s.Classes)
	for _, l := range labels {
		n = max(n, l+1)
	}
	names := make([]string, n)
	for i := range names {
		if i < len(s.Classes) {
			names[i] = s.Classes[i]
		} else {
			names[i] = fmt.Sprintf("class %d", i)
		}
	}
	return names
}

// statistics derives the run's statistics from its history and test results.
func (r *run) statistics(classes []string) Statistics {
	var st Statistics
	epochs := reportEpochs(r.history)
	if b := r.sum.BestEpoch; b >= 1 && b <= len(r.history) {
		e := r.history[b-1]
		st.TrainValGap = e.TrainAccuracy - e.ValAccuracy
	}
	st.EpochsTo90 = report.EpochsToFraction(epochs, 0.9)
	st.SecondsPerEpoch, _ = report.MeanEpoch(epochs)
	st.Confusion = r.sum.Test.Confusion(len(classes))
	for _, c := range report.PerClass(st.Confusion, classes) {
		st.PerClass = append(st.PerClass, ClassStats{Class: c.Class, Precision: c.Precision,
			Recall: c.Recall, F1: c.F1, Support: c.Support})
	}
	st.Hardware = sysinfo.Describe()
	return st
}

func reportEpochs(history []EpochStats) []report.Epoch {
	var es []report.Epoch
	for _, e := range history {
		es = append(es, report.Epoch{Epoch: e.Epoch, TrainLoss: e.TrainLoss,
			TrainAccuracy: e.TrainAccuracy, ValLoss: e.ValLoss, ValAccuracy: e.ValAccuracy,
			LR: e.LR, Seconds: e.Seconds, ImagesPerSec: e.ImagesPerSec})
	}
	return es
}

// asImage returns example i of d as a report image.
func asImage(d data.Dataset, i int) (report.Image, int) {
	_, h, w := d.Dims()
	px, label := d.Example(i)
	return report.Image{Pixels: px, H: h, W: w}, label
}

// writeFigures draws the run's six figures into its directory.
func (r *run) writeFigures(classes []string) error {
	dir := r.dir
	epochs := reportEpochs(r.history)
	if err := report.Curves(filepath.Join(dir, CurvesFigure), epochs); err != nil {
		return err
	}
	if err := report.LRSchedule(filepath.Join(dir, LRFigure), epochs); err != nil {
		return err
	}

	// augmentation: the first training images beside three augmented versions
	var originals, augmented []report.Image
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 0xa7))
	c, h, w := r.sets.Train.Dims()
	aug := TrainTransform()
	for i := 0; i < min(6, r.sets.Train.Len()); i++ {
		img, _ := asImage(r.sets.Train, i)
		originals = append(originals, img)
		for k := 0; k < 3; k++ {
			out := make([]uint8, c*h*w)
			aug.Apply(out, img.Pixels, c, h, w, rng)
			augmented = append(augmented, report.Image{Pixels: out, H: h, W: w})
		}
	}
	if err := report.Augmentation(filepath.Join(dir, AugmentationFigure), originals,
		augmented); err != nil {
		return err
	}

	// images per class in each split
	counts := map[string][]int{}
	for name, d := range map[string]data.Dataset{"train": r.sets.Train,
		"validation": r.sets.Val, "test": r.sets.Test} {
		n := make([]int, len(classes))
		for i := 0; i < d.Len(); i++ {
			if _, label := d.Example(i); label < len(n) {
				n[label]++
			}
		}
		counts[name] = n
	}
	if err := report.ClassDistribution(filepath.Join(dir, ClassesFigure), classes,
		counts); err != nil {
		return err
	}

	// the first test images with predicted and true classes
	var shown []report.Image
	var pred, truth []int
	for i := 0; i < min(32, len(r.sum.Test.Predictions)); i++ {
		img, label := asImage(r.sets.Test, i)
		shown = append(shown, img)
		pred = append(pred, r.sum.Test.Predictions[i])
		truth = append(truth, label)
	}
	if err := report.Predictions(filepath.Join(dir, PredictionsFigure), shown, pred, truth,
		classes); err != nil {
		return err
	}
	return report.ConfusionMatrix(filepath.Join(dir, ConfusionFigure),
		r.sum.Test.Confusion(len(classes)), classes)
}

// writeReport writes report.html presenting the run.
func (r *run) writeReport() error {
	s, cfg := r.sum, r.cfg
	pct := func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) }
	page := report.Page{
		Title: fmt.Sprintf("Kestrel: %s on CIFAR-10, %d epochs", cfg.Model, cfg.Epochs),
		Recipe: [][2]string{
			{"model", fmt.Sprintf("%s (%d trainable parameters)", cfg.Model, s.Params)},
			{"images", fmt.Sprintf("%d train, %d validation, %d test", r.sets.Train.Len(),
				r.sets.Val.Len(), r.sets.Test.Len())},
			{"augmentation", map[bool]string{true: "random crop 32 (4-pixel zero padding), " +
				"horizontal flip", false: "none"}[cfg.Augment]},
			{"batch size", fmt.Sprint(cfg.BatchSize)},
			{"optimizer", optimizerText(cfg)},
			{"schedule", fmt.Sprintf("StepLR: ×%g every %d epochs", cfg.Gamma, cfg.StepSize)},
			{"loss", fmt.Sprintf("cross-entropy, label smoothing %g", cfg.LabelSmoothing)},
			{"epochs", fmt.Sprint(cfg.Epochs)},
			{"seed", fmt.Sprint(cfg.Seed)},
		},
		Summary: [][2]string{
			{"test accuracy (best checkpoint)", pct(s.TestAccuracy)},
			{"test top-5 accuracy", pct(s.TestTop5Accuracy)},
			{"test loss", fmt.Sprintf("%.4f", s.TestLoss)},
			{"test accuracy (last epoch)", pct(s.LastTestAccuracy)},
			{"best epoch", fmt.Sprintf("%d (validation %s)", s.BestEpoch, pct(s.BestValAccuracy))},
			{"train − validation gap at best epoch", pct(s.TrainValGap)},
			{"epochs to 90% of best validation", fmt.Sprint(s.EpochsTo90)},
			{"time per epoch", fmt.Sprintf("%.1f s", s.SecondsPerEpoch)},
			{"training throughput", fmt.Sprintf("%.0f images/s", s.ImagesPerSec)},
			{"wall time", fmt.Sprintf("%.0f s", s.WallSeconds)},
			{"peak memory", fmt.Sprintf("%d MiB", s.PeakRSSBytes>>20)},
		},
		Hardware: [][2]string{
			{"CPU", s.Hardware.CPU},
			{"cores used", fmt.Sprintf("%d of %d", s.Hardware.Threads, s.Hardware.Cores)},
			{"kernel", s.Hardware.Kernel},
			{"convolution", s.Hardware.Convolution},
			{"CPU features", strings.Join(s.Hardware.Features, " ")},
			{"Kestrel / Go", s.Hardware.Kestrel + " / " + s.Hardware.Go + " " + s.Hardware.OS},
		},
		Epochs: reportEpochs(r.history),
		Figures: []report.Figure{
			{File: CurvesFigure, Caption: "Loss and accuracy per epoch, training and validation"},
			{File: LRFigure, Caption: "Learning rate per epoch"},
			{File: AugmentationFigure, Caption: "Training images and their augmented versions"},
			{File: ClassesFigure, Caption: "Images per class in each split"},
			{File: PredictionsFigure, Caption: "Test images: predicted / true class " +
				"(mistakes in red), best checkpoint"},
			{File: ConfusionFigure, Caption: "Confusion matrix on the test set, best checkpoint"},
		},
	}
	for _, c := range s.PerClass {
		page.Classes = append(page.Classes, report.ClassMetrics{Class: c.Class,
			Precision: c.Precision, Recall: c.Recall, F1: c.F1, Support: c.Support})
	}
	return report.HTML(r.dir, page)
}

func optimizerText(cfg Config) string {
	if cfg.Optimizer == "sgd" {
		return fmt.Sprintf("SGD, lr %g, momentum %g, Nesterov %v, weight decay %g", cfg.LR,
			cfg.Momentum, cfg.Nesterov, cfg.WeightDecay)
	}
	return fmt.Sprintf("Adam, lr %g, betas 0.9/0.999, weight decay %g", cfg.LR, cfg.WeightDecay)
}
