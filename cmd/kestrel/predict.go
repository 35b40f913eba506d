package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // decode JPEG inputs
	_ "image/png"  // decode PNG inputs
	"io"
	"math"
	"os"
	"sort"

	"golang.org/x/image/draw"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/data/cifar"
	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/tensor"
)

// loadModel builds the model a checkpoint was saved from (named in its
// metadata, or by name when it has none) and loads the checkpoint into it.
func loadModel(path, name string) (nn.Module, error) {
	if path == "" {
		return nil, usageError{fmt.Errorf("--checkpoint is required (a .safetensors file " +
			"such as runs/<run>/best.safetensors)")}
	}
	_, meta, err := checkpoint.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = meta["model"]
	}
	if name == "" {
		name = "simplecnn"
	}
	m, err := models.New(name, 0)
	if err != nil {
		return nil, err
	}
	if _, err := checkpoint.Load(path, m); err != nil {
		return nil, err
	}
	m.SetTraining(false)
	return m, nil
}

// Prediction is the top classes for one image.
type Prediction struct {
	Image string       `json:"image"`
	Top   []ClassScore `json:"top"`
}

// ClassScore is a class and its softmax probability.
type ClassScore struct {
	Class       string  `json:"class"`
	Index       int     `json:"index"`
	Probability float64 `json:"probability"`
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kestrel predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ckpt := fs.String("checkpoint", "", "model checkpoint (.safetensors)")
	model := fs.String("model", "", "model of the checkpoint (default: from its metadata)")
	top := fs.Int("top", 5, "classes to show per image")
	jsonOut := fs.Bool("json", false, "print one JSON object per image")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	paths := fs.Args()
	if len(paths) == 0 {
		return usageError{fmt.Errorf("predict needs at least one image: kestrel predict " +
			"--checkpoint FILE IMAGE...")}
	}
	if *top < 1 || *top > cifar.NumClasses {
		return usageError{fmt.Errorf("--top must be in [1, %d], got %d", cifar.NumClasses, *top)}
	}
	m, err := loadModel(*ckpt, *model)
	if err != nil {
		return err
	}

	// read every image first, so a bad file fails before any output
	batch := tensor.Zeros(len(paths), 3, 32, 32)
	for i, p := range paths {
		px, err := readImage(p)
		if err != nil {
			return err
		}
		data.CIFAR10Normalize.Apply(batch.Data[i*3072:(i+1)*3072], px, 3, 32, 32)
	}
	var logits *tensor.Tensor
	tensor.NoGrad(func() { logits = m.Forward(batch) })

	enc := json.NewEncoder(stdout)
	for i, p := range paths {
		pred := Prediction{Image: p, Top: topClasses(logits.Data[i*10:(i+1)*10], *top)}
		if *jsonOut {
			if err := enc.Encode(pred); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s\n", p)
		for _, c := range pred.Top {
			fmt.Fprintf(stdout, "  %-10s %6.2f%%\n", c.Class, 100*c.Probability)
		}
	}
	return nil
}

// readImage decodes a PNG or JPEG file and resizes it to 32×32, returning
// channel planes [3, 32, 32].
func readImage(path string) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read image: %w", err)
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a PNG or JPEG image: %v", path, err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 32, 32))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	px := make([]uint8, 3072)
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			o := dst.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				px[c*1024+y*32+x] = dst.Pix[o+c]
			}
		}
	}
	return px, nil
}

// topClasses returns the k most probable classes of one row of logits.
func topClasses(logits []float32, k int) []ClassScore {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	probs := make([]float64, len(logits))
	for i, v := range logits {
		probs[i] = math.Exp(float64(v) - mx)
		sum += probs[i]
	}
	scores := make([]ClassScore, len(logits))
	for i := range logits {
		scores[i] = ClassScore{Class: cifar.ClassNames[i], Index: i, Probability: probs[i] / sum}
	}
	sort.SliceStable(scores, func(a, b int) bool {
		return scores[a].Probability > scores[b].Probability
	})
	return scores[:k]
}
