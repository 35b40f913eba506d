package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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
// built-in models. A split may defer reading its images (data.Deferred): the
// test set, for one, is needed only once training is over.
type Datasets struct {
	Train, Val, Test data.Dataset

	// Classes names the classes, label 0 first; missing names are shown as
	// "class i".
	Classes []string

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

	// FirstEpoch is 1 for a new run and later for a resumed one.
	FirstEpoch int
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
	TestTop5Accuracy float64 `json:"test_top5_accuracy"`
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

	// Test holds the best checkpoint's test predictions; History the metrics
	// of every epoch.
	Test    Evaluation   `json:"-"`
	History []EpochStats `json:"-"`

	Statistics
	Config
}

// Hooks receive progress; any may be nil. They run on the training goroutine.
type Hooks struct {
	Start func(Start)
	Step  func(Progress)
	Epoch func(EpochStats)
}

// run is one training run in progress.
type run struct {
	cfg        Config
	dir        string
	sets       Datasets
	hooks      Hooks
	began      time.Time
	priorWall  float64 // wall seconds spent before a resume
	model      nn.Module
	params     []*tensor.Tensor
	paramNames []string
	opt        optim.Optimizer
	sched      *optim.StepLR
	train      *data.Loader
	sum        *Summary
	best       []checkpoint.Tensor
	history    []EpochStats

	trainImages int
}

// Fit trains a model with cfg on sets, writing metrics.jsonl, best and last
// checkpoints, a resumable state file and summary.json into dir (created if
// missing). It stops early with ctx's error when ctx is cancelled; files
// written so far stay valid, and Resume continues from the last completed
// epoch.
func Fit(ctx context.Context, cfg Config, sets Datasets, dir string,
	hooks Hooks) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create run directory: %w", err)
	}
	r, err := newRun(cfg, sets, dir, hooks)
	if err != nil {
		return nil, err
	}
	if err := checkpoint.WriteAtomic(filepath.Join(dir, MetricsFile), nil); err != nil {
		return nil, err
	}
	return r.loop(ctx, 1)
}

// Resume continues the run in dir after its last completed epoch, with the
// recipe saved there, and finishes it as Fit would have: the same seed and
// thread count give the same weights and metrics as a run never interrupted.
func Resume(ctx context.Context, sets Datasets, dir string, hooks Hooks) (*Summary, error) {
	p, tensors, err := readProgress(dir)
	if err != nil {
		return nil, err
	}
	r, err := newRun(p.Config, sets, dir, hooks)
	if err != nil {
		return nil, err
	}
	if err := r.restore(p, tensors); err != nil {
		return nil, err
	}
	if r.history, err = keepMetrics(filepath.Join(dir, MetricsFile), p.Epoch); err != nil {
		return nil, err
	}
	return r.loop(ctx, p.Epoch+1)
}

// ConfigOf returns the recipe of the run in dir and its last completed epoch,
// as saved in its state file.
func ConfigOf(dir string) (Config, int, error) {
	p, _, err := readProgress(dir)
	return p.Config, p.Epoch, err
}

func newRun(cfg Config, sets Datasets, dir string, hooks Hooks) (*run, error) {
	parallel.SetThreads(cfg.Threads)
	model, err := models.New(cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if err := data.Preload(sets.Train); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, dir: dir, sets: sets, hooks: hooks, began: time.Now(), model: model}
	for _, s := range model.State("") {
		if s.Param {
			r.params = append(r.params, s.Tensor)
			r.paramNames = append(r.paramNames, s.Name)
		}
	}
	if cfg.Optimizer == "sgd" {
		r.opt = &optim.SGD{Params: r.params, Rate: cfg.LR, Momentum: cfg.Momentum,
			Nesterov: cfg.Nesterov, WeightDecay: cfg.WeightDecay}
	} else {
		adam := optim.NewAdam(r.params, cfg.LR)
		adam.WeightDecay = cfg.WeightDecay
		r.opt = adam
	}
	r.sched = optim.NewStepLR(r.opt, cfg.StepSize, cfg.Gamma)

	r.train = &data.Loader{Data: sets.Train, BatchSize: cfg.BatchSize, Shuffle: true,
		Seed: cfg.Seed, Normalize: data.CIFAR10Normalize, Workers: cfg.Workers}
	if cfg.Augment {
		r.train.Transform = TrainTransform()
	}
	r.sum = &Summary{Config: cfg, Params: nn.CountParameters(model), BestValAccuracy: -1,
		Kernel: kernels.Default().Name(), GoVersion: runtime.Version(), CPUs: parallel.Threads()}
	return r, nil
}

// TrainTransform returns the training augmentation: random crop with 4 pixels
// of zero padding, then a horizontal flip with probability 0.5.
func TrainTransform() data.Transform {
	return data.Compose{data.RandomCrop{Padding: 4}, data.RandomHorizontalFlip{P: 0.5}}
}

func (r *run) evalLoader(d data.Dataset) *data.Loader {
	return &data.Loader{Data: d, BatchSize: r.cfg.BatchSize, Normalize: data.CIFAR10Normalize,
		Workers: r.cfg.Workers}
}

func (r *run) wallSoFar() float64 {
	return r.priorWall + r.sets.LoadSeconds + time.Since(r.began).Seconds()
}

// loop trains from epoch first to the last and finishes the run.
func (r *run) loop(ctx context.Context, first int) (*Summary, error) {
	cfg := r.cfg
	if r.hooks.Start != nil {
		r.hooks.Start(Start{Params: r.sum.Params, StepsPerEpoch: r.train.NumBatches(),
			TrainImages: r.sets.Train.Len(), ValImages: r.sets.Val.Len(),
			TestImages: r.sets.Test.Len(), Kernel: r.sum.Kernel, Threads: parallel.Threads(),
			FirstEpoch: first})
	}
	for epoch := first; epoch <= cfg.Epochs; epoch++ {
		st, err := r.epoch(ctx, epoch)
		if err != nil {
			return nil, err
		}
		if r.hooks.Epoch != nil {
			r.hooks.Epoch(st)
		}
	}
	return r.finish(ctx)
}

// epoch trains and validates one epoch and records it.
func (r *run) epoch(ctx context.Context, epoch int) (EpochStats, error) {
	epochStart := time.Now()
	st := EpochStats{Epoch: epoch, LR: r.opt.LR()}

	// train
	r.model.SetTraining(true)
	var lossSum float64
	var correct, seen int
	for b := range r.train.Epoch(ctx, epoch) {
		r.opt.ZeroGrad()
		logits := r.model.Forward(b.Images)
		loss := tensor.CrossEntropy(logits, b.Labels, r.cfg.LabelSmoothing)
		loss.Backward()
		r.opt.Step()

		lossSum += float64(loss.Item()) * float64(len(b.Labels))
		for i, p := range Argmax(logits) {
			if p == b.Labels[i] {
				correct++
			}
		}
		loss.Release()
		b.Images.Free()
		seen += len(b.Labels)
		if r.hooks.Step != nil {
			r.hooks.Step(Progress{Epoch: epoch, Epochs: r.cfg.Epochs, Step: b.Index + 1,
				Steps: r.train.NumBatches(), Loss: lossSum / float64(seen),
				Accuracy: float64(correct) / float64(seen), Images: seen,
				Elapsed: time.Since(epochStart)})
		}
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	st.TrainSeconds = time.Since(epochStart).Seconds()
	st.TrainLoss = lossSum / float64(seen)
	st.TrainAccuracy = float64(correct) / float64(seen)
	st.ImagesPerSec = float64(seen) / st.TrainSeconds
	r.trainImages += seen
	r.sum.TrainSeconds += st.TrainSeconds
	r.sched.Step()

	// validate and keep the best and last checkpoints
	val, err := Evaluate(ctx, r.model, r.evalLoader(r.sets.Val))
	if err != nil {
		return st, err
	}
	st.ValLoss, st.ValAccuracy = val.Loss, val.Accuracy
	meta := map[string]string{"model": r.cfg.Model, "epoch": fmt.Sprint(epoch),
		"val_accuracy": fmt.Sprint(val.Accuracy)}
	if val.Accuracy > r.sum.BestValAccuracy {
		st.Best = true
		r.sum.BestValAccuracy, r.sum.BestEpoch = val.Accuracy, epoch
		r.best = checkpoint.FromModule(r.model)
		if err := checkpoint.WriteFile(filepath.Join(r.dir, BestFile), r.best, meta); err != nil {
			return st, err
		}
	}
	if err := checkpoint.Save(filepath.Join(r.dir, LastFile), r.model, meta); err != nil {
		return st, err
	}
	st.Seconds = time.Since(epochStart).Seconds()

	// the metrics line first, then the state: a crash between the two makes
	// Resume repeat this epoch
	line, _ := json.Marshal(st)
	if err := appendLine(filepath.Join(r.dir, MetricsFile), line); err != nil {
		return st, err
	}
	r.history = append(r.history, st)
	return st, r.saveState(epoch)
}

// finish tests the last and the best model and writes summary.json.
func (r *run) finish(ctx context.Context) (*Summary, error) {
	sum := r.sum

	// the buffers the training steps recycled are not needed by evaluation,
	// which uses fewer and smaller ones: collect them before the test set is read
	dropBuffers()
	last, err := Evaluate(ctx, r.model, r.evalLoader(r.sets.Test))
	if err != nil {
		return nil, err
	}
	sum.LastTestAccuracy, sum.LastTestLoss = last.Accuracy, last.Loss
	if err := checkpoint.Assign(r.model, r.best); err != nil {
		return nil, err
	}
	test, err := Evaluate(ctx, r.model, r.evalLoader(r.sets.Test))
	if err != nil {
		return nil, err
	}
	sum.TestAccuracy, sum.TestLoss, sum.TestTop5Accuracy = test.Accuracy, test.Loss, test.Top5
	sum.Test = test
	dropBuffers() // nor do the figures need evaluation's buffers

	sum.ImagesPerSec = float64(r.trainImages) / sum.TrainSeconds
	sum.DataLoadSeconds = r.sets.LoadSeconds
	sum.WallSeconds = r.wallSoFar()
	sum.History = r.history
	classes := r.sets.classNames(test.Labels)
	sum.Statistics = r.statistics(classes)
	if err := r.writeFigures(classes); err != nil {
		return nil, err
	}
	sum.PeakRSSBytes = PeakRSS()
	if err := r.writeReport(); err != nil {
		return nil, err
	}
	js, _ := json.MarshalIndent(sum, "", "  ")
	if err := checkpoint.WriteAtomic(filepath.Join(r.dir, SummaryFile), append(js, '\n')); err != nil {
		return nil, err
	}
	return sum, nil
}

// dropBuffers hands the recycled tensor buffers to the garbage collector and
// collects them, so that what comes next reuses their memory.
func dropBuffers() {
	tensor.TrimPool()
	runtime.GC()
}

// appendLine appends line and a newline to the file at path, syncing it.
func appendLine(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write metrics: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write metrics: %w", err)
	}
	return nil
}
