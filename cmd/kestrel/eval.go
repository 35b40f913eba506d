package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/data/cifar"
	"github.com/kestrel-ml/kestrel/report"
	"github.com/kestrel-ml/kestrel/train"
)

// EvalResult is what kestrel eval reports for a checkpoint on the test set.
type EvalResult struct {
	Checkpoint   string             `json:"checkpoint"`
	Images       int                `json:"images"`
	Loss         float64            `json:"loss"`
	Accuracy     float64            `json:"accuracy"`
	Top5Accuracy float64            `json:"top5_accuracy"`
	PerClass     []train.ClassStats `json:"per_class"`
	Confusion    [][]int            `json:"confusion_matrix"`
	Figures      []string           `json:"figures"`
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kestrel eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var df dataFlags
	df.register(fs)
	ckpt := fs.String("checkpoint", "", "model checkpoint (.safetensors)")
	model := fs.String("model", "", "model of the checkpoint (default: from its metadata)")
	out := fs.String("out", "", "directory for the figures (default: eval-<checkpoint name> "+
		"beside the checkpoint)")
	batch := fs.Int("batch-size", 250, "images per evaluation step")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch < 1 {
		return usageError{fmt.Errorf("--batch-size must be at least 1, got %d", *batch)}
	}
	m, err := loadModel(*ckpt, *model)
	if err != nil {
		return err
	}
	dir, err := df.find(ctx, stderr, *jsonOut)
	if err != nil {
		return err
	}
	testSet, err := cifar.LoadTest(dir)
	if err != nil {
		return err
	}
	test := images(testSet)
	ev, err := train.Evaluate(ctx, m, &data.Loader{Data: test, BatchSize: *batch,
		Normalize: data.CIFAR10Normalize})
	if err != nil {
		return err
	}

	// figures
	if *out == "" {
		base := strings.TrimSuffix(filepath.Base(*ckpt), filepath.Ext(*ckpt))
		*out = filepath.Join(filepath.Dir(*ckpt), "eval-"+base)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", *out, err)
	}
	classes := cifar.ClassNames[:]
	res := EvalResult{Checkpoint: *ckpt, Images: ev.Images, Loss: ev.Loss,
		Accuracy: ev.Accuracy, Top5Accuracy: ev.Top5, Confusion: ev.Confusion(len(classes))}
	for _, c := range report.PerClass(res.Confusion, classes) {
		res.PerClass = append(res.PerClass, train.ClassStats{Class: c.Class,
			Precision: c.Precision, Recall: c.Recall, F1: c.F1, Support: c.Support})
	}
	confusion := filepath.Join(*out, train.ConfusionFigure)
	if err := report.ConfusionMatrix(confusion, res.Confusion, classes); err != nil {
		return err
	}
	var shown []report.Image
	n := min(32, test.Len())
	for i := 0; i < n; i++ {
		px, _ := test.Example(i)
		shown = append(shown, report.Image{Pixels: px, H: 32, W: 32})
	}
	predictions := filepath.Join(*out, train.PredictionsFigure)
	if err := report.Predictions(predictions, shown, ev.Predictions[:n], ev.Labels[:n],
		classes); err != nil {
		return err
	}
	res.Figures = []string{confusion, predictions}

	if *jsonOut {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "%s on %d test images: accuracy %.2f%%, top-5 %.2f%%, loss %.4f\n\n",
		*ckpt, res.Images, 100*res.Accuracy, 100*res.Top5Accuracy, res.Loss)
	fmt.Fprintf(stdout, "%-12s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "images")
	for _, c := range res.PerClass {
		fmt.Fprintf(stdout, "%-12s %8.2f%% %8.2f%% %8.2f%% %8d\n", c.Class, 100*c.Precision,
			100*c.Recall, 100*c.F1, c.Support)
	}
	fmt.Fprintf(stdout, "\nfigures: %s\n", strings.Join(res.Figures, ", "))
	return nil
}
