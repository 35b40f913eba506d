package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/optim"
	"github.com/kestrel-ml/kestrel/tensor"
)

// Files written into a run directory.
const (
	MetricsFile = "metrics.jsonl"
	SummaryFile = "summary.json"
	BestFile    = "best.safetensors"
	LastFile    = "last.safetensors"
)

// Datasets holds the three splits of a run. Images must be 3×32×32 for the
// built-in models.
type Datasets struct {
	Train, Val, Test data.Dataset

	// LoadSeconds is the time it took to load them; it counts in the run's
	// wall time.
	LoadSeconds float64
}

// Start describes a run as it begins.
type Start struct {
	Params        int
	StepsPerEpoch int
	TrainImages   int
	ValImages     int
	TestImages    int
	Kernel        string
	Threads       int
}

// Progress describes the training epoch in progress after each step.
type Progress struct {
	Epoch, Epochs int
	Step, Steps   int

	// Loss and Accuracy are running means over the epoch so far.
	Loss, Accuracy float64
	Images         int
	Elapsed        time.Duration
}

// EpochStats is one line of metrics.jsonl: the results of one epoch.
type EpochStats struct {
	Epoch         int     `json:"epoch"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	ValLoss       float64 `json:"val_loss"`
	ValAccuracy   float64 `json:"val_accuracy"`
	LR            float64 `json:"lr"`
	Seconds       float64 `json:"seconds"`
	TrainSeconds  float64 `json:"train_seconds"`
	ImagesPerSec  float64 `json:"images_per_sec"`
	Best          bool    `json:"best"`
}

// Summary is summary.json: the outcome of a run and the recipe behind it.
type Summary struct {
	TestAccuracy     float64 `json:"test_accuracy"`
	TestLoss         float64 `json:"test_loss"`
	LastTestAccuracy float64 `json:"last_test_accuracy"`
	LastTestLoss     float64 `json:"last_test_loss"`
	BestEpoch        int     `json:"best_epoch"`
	BestValAccuracy  float64 `json:"best_val_accuracy"`
	Params           int     `json:"params"`
	WallSeconds      float64 `json:"wall_seconds"`
	DataLoadSeconds  float64 `json:"data_load_seconds"`
	TrainSeconds     float64 `json:"train_seconds"`
	ImagesPerSec     float64 `json:"images_per_sec"`
	PeakRSSBytes     int64   `json:"peak_rss_bytes"`
	Kernel           string  `json:"kernel"`
	GoVersion        string  `json:"go_version"`
	CPUs             int     `json:"cpus"`

	Config
}

// Hooks receive progress; any may be nil. They run on the training goroutine.
type Hooks struct {
	Start func(Start)
	Step  func(Progress)
	Epoch func(EpochStats)
}

// Fit trains a model with cfg on sets, writing metrics.jsonl, best and last
// checkpoints and summary.json into dir (created if missing). It stops early
// with ctx's error when ctx is cancelled; files written so far stay valid.
func Fit(ctx context.Context, cfg Config, sets Datasets, dir string, hooks Hooks) (*Summary, error) {
	began := time.Now()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create run directory: %w", err)
	}
	parallel.SetThreads(cfg.Threads)

	// model, optimizer and schedule
	model, err := models.New(cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	params := nn.Parameters(model)
	var opt optim.Optimizer
	if cfg.Optimizer == "sgd" {
		opt = &optim.SGD{Params: params, Rate: cfg.LR, Momentum: cfg.Momentum,
			Nesterov: cfg.Nesterov, WeightDecay: cfg.WeightDecay}
	} else {
		adam := optim.NewAdam(params, cfg.LR)
		adam.WeightDecay = cfg.WeightDecay
		opt = adam
	}
	sched := optim.NewStepLR(opt, cfg.StepSize, cfg.Gamma)

	// data
	trainLoader := &data.Loader{Data: sets.Train, BatchSize: cfg.BatchSize, Shuffle: true,
		Seed: cfg.Seed, Normalize: data.CIFAR10Normalize, Workers: cfg.Workers}
	if cfg.Augment {
		trainLoader.Transform = data.Compose{data.RandomCrop{Padding: 4},
			data.RandomHorizontalFlip{P: 0.5}}
	}
	evalLoader := func(d data.Dataset) *data.Loader {
		return &data.Loader{Data: d, BatchSize: cfg.BatchSize, Normalize: data.CIFAR10Normalize,
			Workers: cfg.Workers}
	}

	metrics, err := os.Create(filepath.Join(dir, MetricsFile))
	if err != nil {
		return nil, fmt.Errorf("cannot write metrics: %w", err)
	}
	defer metrics.Close()

	if hooks.Start != nil {
		hooks.Start(Start{Params: nn.CountParameters(model), StepsPerEpoch: trainLoader.NumBatches(),
			TrainImages: sets.Train.Len(), ValImages: sets.Val.Len(), TestImages: sets.Test.Len(),
			Kernel: kernels.Default().Name(), Threads: parallel.Threads()})
	}

	sum := &Summary{Config: cfg, Params: nn.CountParameters(model), BestValAccuracy: -1,
		Kernel: kernels.Default().Name(), GoVersion: runtime.Version(), CPUs: parallel.Threads()}
	var best []checkpoint.Tensor
	var trainImages int
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		epochStart := time.Now()
		st := EpochStats{Epoch: epoch, LR: opt.LR()}

		// train
		model.SetTraining(true)
		var lossSum float64
		var correct, seen int
		for b := range trainLoader.Epoch(ctx, epoch) {
			opt.ZeroGrad()
			logits := model.Forward(b.Images)
			loss := tensor.CrossEntropy(logits, b.Labels, cfg.LabelSmoothing)
			loss.Backward()
			opt.Step()

			lossSum += float64(loss.Item()) * float64(len(b.Labels))
			for i, p := range Argmax(logits) {
				if p == b.Labels[i] {
					correct++
				}
			}
			loss.Release()
			b.Images.Free()
			seen += len(b.Labels)
			if hooks.Step != nil {
				hooks.Step(Progress{Epoch: epoch, Epochs: cfg.Epochs, Step: b.Index + 1,
					Steps: trainLoader.NumBatches(), Loss: lossSum / float64(seen),
					Accuracy: float64(correct) / float64(seen), Images: seen,
					Elapsed: time.Since(epochStart)})
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st.TrainSeconds = time.Since(epochStart).Seconds()
		st.TrainLoss = lossSum / float64(seen)
		st.TrainAccuracy = float64(correct) / float64(seen)
		st.ImagesPerSec = float64(seen) / st.TrainSeconds
		trainImages += seen
		sum.TrainSeconds += st.TrainSeconds
		sched.Step()

		// validate and keep the best and last checkpoints
		val, err := Evaluate(ctx, model, evalLoader(sets.Val))
		if err != nil {
			return nil, err
		}
		st.ValLoss, st.ValAccuracy = val.Loss, val.Accuracy
		meta := map[string]string{"model": cfg.Model, "epoch": fmt.Sprint(epoch),
			"val_accuracy": fmt.Sprint(val.Accuracy)}
		if val.Accuracy > sum.BestValAccuracy {
			st.Best = true
			sum.BestValAccuracy, sum.BestEpoch = val.Accuracy, epoch
			best = checkpoint.FromModule(model)
			if err := checkpoint.WriteFile(filepath.Join(dir, BestFile), best, meta); err != nil {
				return nil, err
			}
		}
		if err := checkpoint.Save(filepath.Join(dir, LastFile), model, meta); err != nil {
			return nil, err
		}
		st.Seconds = time.Since(epochStart).Seconds()

		line, _ := json.Marshal(st)
		if _, err := metrics.Write(append(line, '\n')); err != nil {
			return nil, fmt.Errorf("cannot write metrics: %w", err)
		}
		if hooks.Epoch != nil {
			hooks.Epoch(st)
		}
	}

	// test the last model, then the best one
	last, err := Evaluate(ctx, model, evalLoader(sets.Test))
	if err != nil {
		return nil, err
	}
	sum.LastTestAccuracy, sum.LastTestLoss = last.Accuracy, last.Loss
	if err := checkpoint.Assign(model, best); err != nil {
		return nil, err
	}
	test, err := Evaluate(ctx, model, evalLoader(sets.Test))
	if err != nil {
		return nil, err
	}
	sum.TestAccuracy, sum.TestLoss = test.Accuracy, test.Loss

	sum.ImagesPerSec = float64(trainImages) / sum.TrainSeconds
	sum.DataLoadSeconds = sets.LoadSeconds
	sum.WallSeconds = sets.LoadSeconds + time.Since(began).Seconds()
	sum.PeakRSSBytes = PeakRSS()
	js, _ := json.MarshalIndent(sum, "", "  ")
	if err := checkpoint.WriteAtomic(filepath.Join(dir, SummaryFile), append(js, '\n')); err != nil {
		return nil, err
	}
	return sum, nil
}

// PeakRSS returns the largest resident set size of this process so far, in
// bytes, or 0 where the system does not report it.
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}
