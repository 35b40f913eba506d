package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/optim"
	"github.com/kestrel-ml/kestrel/tensor"
	"github.com/kestrel-ml/kestrel/train"
)

// benchResult is what kestrel bench measures; --json prints it as one object.
type benchResult struct {
	Model     string `json:"model"`
	Mode      string `json:"mode"`
	BatchSize int    `json:"batch_size"`
	Threads   int    `json:"threads"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`

	// ImagesPerSec is the median over repeats; Min and Max bound it.
	ImagesPerSec    float64 `json:"images_per_sec"`
	ImagesPerSecMin float64 `json:"images_per_sec_min"`
	ImagesPerSecMax float64 `json:"images_per_sec_max"`
	Repeats         int     `json:"repeats"`
	StepsPerRepeat  int     `json:"steps_per_repeat"`

	// StepMicros is the median time of one step (one batch): the latency at
	// batch size 1.
	StepMicros float64 `json:"step_us"`

	// FlopsPerStep counts the multiply-adds (×2) of the convolutions and
	// matrix products one step computes.
	FlopsPerStep int64   `json:"flops_per_step"`
	GFlopsPerSec float64 `json:"gflops_per_sec"`

	AllocsPerStep float64 `json:"allocs_per_step"`
	BytesPerStep  float64 `json:"alloc_bytes_per_step"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kestrel bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "simplecnn", "model to time")
	mode := fs.String("mode", "train", "train (forward, backward, Adam step) or infer")
	batch := fs.Int("batch-size", 0, "images per step (default 128 to train, 256 to infer)")
	threads := fs.Int("threads", 0, "compute threads (0: all cores)")
	repeats := fs.Int("repeats", 5, "timed repeats; the median is reported")
	perRepeat := fs.Duration("time", time.Second, "minimum time of one repeat")
	jsonOut := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}

	// check the flags
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("bench takes no arguments, got %q", fs.Args())}
	case *mode != "train" && *mode != "infer":
		return usageError{fmt.Errorf("--mode must be train or infer, got %q", *mode)}
	case *batch < 0:
		return usageError{fmt.Errorf("--batch-size must be positive, got %d", *batch)}
	case *threads < 0:
		return usageError{fmt.Errorf("--threads must not be negative, got %d", *threads)}
	case *repeats < 1:
		return usageError{fmt.Errorf("--repeats must be at least 1, got %d", *repeats)}
	case *perRepeat <= 0:
		return usageError{fmt.Errorf("--time must be positive, got %v", *perRepeat)}
	}
	if *batch == 0 {
		*batch = 128
		if *mode == "infer" {
			*batch = 256
		}
	}
	m, err := models.New(*model, 1)
	if err != nil {
		return usageError{err}
	}
	parallel.SetThreads(*threads)
	defer parallel.SetThreads(0)

	step := benchStep(m, *mode == "train", *batch)
	res := benchResult{
		Model: *model, Mode: *mode, BatchSize: *batch, Threads: parallel.Threads(),
		Kernel: kernels.Default().Name(), GoVersion: runtime.Version(), Repeats: *repeats,
	}

	// count the arithmetic of one step, then warm up: buffers, pools, caches
	counter := kernels.NewCounter(kernels.Default())
	prev := kernels.Use(counter)
	step()
	kernels.Use(prev)
	res.FlopsPerStep = counter.Flops()
	began := time.Now()
	for n := 0; n < 3 || time.Since(began) < *perRepeat/4; n++ {
		step()
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// steps per repeat: enough to fill the repeat time
	t0 := time.Now()
	step()
	one := time.Since(t0)
	res.StepsPerRepeat = max(1, int(*perRepeat/max(one, time.Microsecond)))

	rates := make([]float64, 0, *repeats)
	stepTimes := make([]float64, 0, *repeats)
	var before, after runtime.MemStats
	var allocs, bytes uint64
	for r := 0; r < *repeats; r++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.ReadMemStats(&before)
		t := time.Now()
		for i := 0; i < res.StepsPerRepeat; i++ {
			step()
		}
		elapsed := time.Since(t).Seconds()
		runtime.ReadMemStats(&after)
		allocs += after.Mallocs - before.Mallocs
		bytes += after.TotalAlloc - before.TotalAlloc
		rates = append(rates, float64(res.StepsPerRepeat**batch)/elapsed)
		stepTimes = append(stepTimes, elapsed/float64(res.StepsPerRepeat)*1e6)
	}
	steps := float64(*repeats * res.StepsPerRepeat)
	res.ImagesPerSec = median(rates)
	res.ImagesPerSecMin, res.ImagesPerSecMax = slices.Min(rates), slices.Max(rates)
	res.StepMicros = median(stepTimes)
	res.GFlopsPerSec = float64(res.FlopsPerStep) * res.ImagesPerSec / float64(*batch) / 1e9
	res.AllocsPerStep = float64(allocs) / steps
	res.BytesPerStep = float64(bytes) / steps
	res.PeakRSSBytes = train.PeakRSS()

	if *jsonOut {
		enc := json.NewEncoder(stdout)
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "%s %s, batch %d, %d threads, %s, %s\n", res.Model, res.Mode,
		res.BatchSize, res.Threads, res.Kernel, res.GoVersion)
	fmt.Fprintf(stdout, "  images/s      %.0f (median of %d repeats of %d steps; min %.0f, max %.0f)\n",
		res.ImagesPerSec, res.Repeats, res.StepsPerRepeat, res.ImagesPerSecMin, res.ImagesPerSecMax)
	fmt.Fprintf(stdout, "  step time     %.1f µs (median; the latency of one batch of %d)\n",
		res.StepMicros, res.BatchSize)
	fmt.Fprintf(stdout, "  arithmetic    %.1f GFLOP/s (%.1f MFLOP per image, counted as direct "+
		"convolution)\n",
		res.GFlopsPerSec, float64(res.FlopsPerStep)/float64(res.BatchSize)/1e6)
	fmt.Fprintf(stdout, "  allocations   %.1f per step, %.0f bytes per step\n",
		res.AllocsPerStep, res.BytesPerStep)
	fmt.Fprintf(stdout, "  peak memory   %.0f MiB (resident, whole process)\n",
		float64(res.PeakRSSBytes)/(1<<20))
	return nil
}

// benchStep returns one step of m on a fixed random batch of CIFAR-sized
// images [batch, 3, 32, 32]: forward, loss, backward and an Adam update when
// training, an evaluation-mode forward pass otherwise.
func benchStep(m nn.Module, training bool, batch int) func() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.RandN(rng, batch, 3, 32, 32)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	m.SetTraining(training)
	if !training {
		return func() {
			tensor.NoGrad(func() { m.Forward(x).Free() })
		}
	}
	opt := optim.NewAdam(nn.Parameters(m), 1e-3)
	return func() {
		opt.ZeroGrad()
		loss := tensor.CrossEntropy(m.Forward(x), labels, 0)
		loss.Backward()
		opt.Step()
		loss.Release()
	}
}

// median returns the middle value of v (the mean of the two middle values
// when len(v) is even); v is reordered.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
