// Package train runs a training recipe: it trains a model epoch by epoch,
// validates it, keeps the best and last checkpoints, evaluates the best on
// the test set and records everything in a run directory. It reports progress
// through callbacks and never prints.
package train

import (
	"fmt"
	"slices"

	"github.com/kestrel-ml/kestrel/models"
)

// Config is a training recipe. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	Model     string  `json:"model"`
	Epochs    int     `json:"epochs"`
	BatchSize int     `json:"batch_size"`
	Optimizer string  `json:"optimizer"`
	LR        float64 `json:"lr"`

	// Momentum and Nesterov apply to SGD only.
	Momentum    float64 `json:"momentum"`
	Nesterov    bool    `json:"nesterov"`
	WeightDecay float64 `json:"weight_decay"`

	// StepSize and Gamma define the StepLR schedule, stepped once per epoch.
	StepSize int     `json:"lr_step"`
	Gamma    float64 `json:"lr_gamma"`

	LabelSmoothing float64 `json:"label_smoothing"`

	// ValSize is the number of training images, taken from the end of the
	// training set, held out for validation.
	ValSize int `json:"val_size"`

	// Augment turns on random crop (padding 4) and horizontal flip.
	Augment bool `json:"augment"`

	Seed    uint64 `json:"seed"`
	Workers int    `json:"workers"`
	Threads int    `json:"threads"`

	// DataDir records where the data came from; a resumed run reads it again
	// from there unless told otherwise.
	DataDir string `json:"data_dir,omitempty"`
}

// DefaultConfig returns the case study's recipe: SimpleCNN, 20 epochs, batch
// 128, Adam with learning rate 1e-3, StepLR with step 15 and gamma 0.1,
// augmentation on, 5,000 validation images, seed 42.
func DefaultConfig() Config {
	return Config{
		Model:     "simplecnn",
		Epochs:    20,
		BatchSize: 128,
		Optimizer: "adam",
		LR:        1e-3,
		Momentum:  0.9,
		StepSize:  15,
		Gamma:     0.1,
		ValSize:   5000,
		Augment:   true,
		Seed:      42,
		Workers:   1,
	}
}

// Validate reports the first setting that makes no sense, naming it as the
// command line does.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(models.Names(), c.Model):
		return fmt.Errorf("--model %q is unknown (known: %v)", c.Model, models.Names())
	case c.Epochs <= 0:
		return fmt.Errorf("--epochs must be at least 1, got %d", c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("--batch-size must be at least 1, got %d", c.BatchSize)
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return fmt.Errorf("--optimizer must be adam or sgd, got %q", c.Optimizer)
	case !(c.LR > 0):
		return fmt.Errorf("--lr must be positive, got %g", c.LR)
	case c.Momentum < 0 || c.Momentum >= 1:
		return fmt.Errorf("--momentum must be in [0, 1), got %g", c.Momentum)
	case c.WeightDecay < 0:
		return fmt.Errorf("--weight-decay must not be negative, got %g", c.WeightDecay)
	case c.StepSize <= 0:
		return fmt.Errorf("--lr-step must be at least 1, got %d", c.StepSize)
	case !(c.Gamma > 0) || c.Gamma > 1:
		return fmt.Errorf("--lr-gamma must be in (0, 1], got %g", c.Gamma)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("--label-smoothing must be in [0, 1), got %g", c.LabelSmoothing)
	case c.ValSize < 1:
		return fmt.Errorf("--val-size must be at least 1, got %d", c.ValSize)
	case c.Workers < 0:
		return fmt.Errorf("--workers must not be negative, got %d", c.Workers)
	case c.Threads < 0:
		return fmt.Errorf("--threads must not be negative, got %d", c.Threads)
	}
	return nil
}
