package train

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/models"
)

// toyImages returns n 3×32×32 images whose class (0–9) sets the brightness of
// one colour channel and the position of a bright square, plus noise: easy to
// learn, impossible to guess.
func toyImages(n int, seed uint64) *data.Images {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &data.Images{Pixels: make([]uint8, n*3072), Labels: make([]uint8, n), C: 3, H: 32, W: 32}
	for i := 0; i < n; i++ {
		label := rng.IntN(10)
		d.Labels[i] = uint8(label)
		img := d.Pixels[i*3072 : (i+1)*3072]
		for j := range img {
			img[j] = uint8(rng.IntN(60))
		}
		ch := label % 3
		for j := 0; j < 1024; j++ {
			img[ch*1024+j] += uint8(20 * label)
		}
		oy, ox := 4+2*(label/2), 4+4*(label%5)
		for y := oy; y < oy+6; y++ {
			for x := ox; x < ox+6; x++ {
				img[1024*((ch+1)%3)+y*32+x] = 250
			}
		}
	}
	return d
}

func toyConfig() Config {
	cfg := DefaultConfig()
	cfg.Epochs = 2
	cfg.BatchSize = 32
	cfg.StepSize = 1
	cfg.Gamma = 0.5
	cfg.ValSize = 128
	cfg.Seed = 7
	return cfg
}

func TestFitWritesRunDirectory(t *testing.T) {
	dir := t.TempDir()
	cfg := toyConfig()
	sets := Datasets{Train: toyImages(480, 1), Val: toyImages(128, 2), Test: toyImages(160, 3)}
	var epochs []EpochStats
	var steps int
	sum, err := Fit(context.Background(), cfg, sets, dir, Hooks{
		Step:  func(Progress) { steps++ },
		Epoch: func(e EpochStats) { epochs = append(epochs, e) },
	})
	if err != nil {
		t.Fatal(err)
	}

	// the model learned something a guess cannot reach
	if sum.TestAccuracy < 0.3 || sum.BestValAccuracy < 0.3 {
		t.Errorf("test accuracy %.3f, best validation %.3f: the model did not learn",
			sum.TestAccuracy, sum.BestValAccuracy)
	}
	if steps != 2*15 || len(epochs) != 2 {
		t.Errorf("%d steps and %d epochs reported, want 30 and 2", steps, len(epochs))
	}
	if epochs[0].LR != 1e-3 || epochs[1].LR != 5e-4 {
		t.Errorf("learning rates %v, %v; want 1e-3 then 5e-4", epochs[0].LR, epochs[1].LR)
	}
	if sum.Params != 620810 || sum.PeakRSSBytes <= 0 || sum.ImagesPerSec <= 0 {
		t.Errorf("summary %+v", sum)
	}

	// metrics.jsonl has one object per epoch with the documented fields
	f, err := os.Open(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := 0
	for sc := bufio.NewScanner(f); sc.Scan(); lines++ {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"epoch", "train_loss", "train_accuracy", "val_loss",
			"val_accuracy", "lr", "seconds", "images_per_sec"} {
			if _, ok := m[k]; !ok {
				t.Errorf("metrics line %d lacks %s", lines+1, k)
			}
		}
	}
	if lines != 2 {
		t.Errorf("%d metrics lines, want 2", lines)
	}

	// summary.json holds the results and every hyperparameter
	raw, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"test_accuracy", "test_loss", "best_epoch", "best_val_accuracy",
		"params", "wall_seconds", "images_per_sec", "peak_rss_bytes", "seed", "epochs",
		"batch_size", "lr", "optimizer", "lr_step", "lr_gamma", "model"} {
		if _, ok := m[k]; !ok {
			t.Errorf("summary.json lacks %s", k)
		}
	}

	// the best checkpoint loads and reproduces the reported test accuracy
	model, _ := models.New(cfg.Model, 99)
	if _, err := checkpoint.Load(filepath.Join(dir, BestFile), model); err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(context.Background(), model, &data.Loader{Data: sets.Test, BatchSize: 50,
		Normalize: data.CIFAR10Normalize})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != sum.TestAccuracy {
		t.Errorf("best checkpoint scores %.4f, summary says %.4f", ev.Accuracy, sum.TestAccuracy)
	}
	if _, err := os.Stat(filepath.Join(dir, LastFile)); err != nil {
		t.Error(err)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Epochs = -1 },
		func(c *Config) { c.BatchSize = 0 },
		func(c *Config) { c.Model = "resnet9000" },
		func(c *Config) { c.LR = 0 },
		func(c *Config) { c.Optimizer = "rmsprop" },
		func(c *Config) { c.Gamma = 2 },
		func(c *Config) { c.LabelSmoothing = 1 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: %+v accepted", i, c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}
