package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/data/cifar"
	"github.com/kestrel-ml/kestrel/train"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	began := time.Now()
	cfg := train.DefaultConfig()
	fs := flag.NewFlagSet("kestrel train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "CIFAR-10 directory (cifar-10-batches-bin); default $"+
		cifar.EnvData+" or the download cache")
	noDownload := fs.Bool("no-download", false, "fail instead of downloading missing data")
	out := fs.String("out", "", "run directory (default runs/<timestamp>)")
	jsonOut := fs.Bool("json", false, "print one JSON object per epoch and one summary")
	quiet := fs.Bool("quiet", false, "print only the final result")
	fs.StringVar(&cfg.Model, "model", cfg.Model, "model to train")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "number of epochs")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "images per training step")
	fs.StringVar(&cfg.Optimizer, "optimizer", cfg.Optimizer, "adam or sgd")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "initial learning rate")
	fs.Float64Var(&cfg.Momentum, "momentum", cfg.Momentum, "SGD momentum")
	fs.BoolVar(&cfg.Nesterov, "nesterov", cfg.Nesterov, "SGD with Nesterov momentum")
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", cfg.WeightDecay, "L2 weight decay")
	fs.IntVar(&cfg.StepSize, "lr-step", cfg.StepSize, "epochs between learning-rate decays")
	fs.Float64Var(&cfg.Gamma, "lr-gamma", cfg.Gamma, "learning-rate decay factor")
	fs.Float64Var(&cfg.LabelSmoothing, "label-smoothing", cfg.LabelSmoothing,
		"cross-entropy label smoothing")
	fs.IntVar(&cfg.ValSize, "val-size", cfg.ValSize,
		"training images held out for validation (taken from the end)")
	fs.BoolVar(&cfg.Augment, "augment", cfg.Augment, "random crop and horizontal flip")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "data-preparation goroutines")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "compute threads (0: all cores)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("train takes no arguments, got %q", fs.Args())}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if *out == "" {
		*out = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}

	// data: the given directory, or the cache, downloading into it if needed
	say := func(format string, a ...any) {
		if !*quiet && !*jsonOut {
			fmt.Fprintf(stdout, format+"\n", a...)
		}
	}
	dir, err := cifar.Ensure(ctx, *dataDir, !*noDownload, cifar.DownloadOptions{
		Progress: downloadProgress(stderr, *quiet || *jsonOut),
	})
	if err != nil {
		return err
	}
	trainSet, testSet, err := cifar.Load(dir)
	if err != nil {
		return err
	}
	if cfg.ValSize >= trainSet.N {
		return usageError{fmt.Errorf("--val-size %d leaves no training images (the set has %d)",
			cfg.ValSize, trainSet.N)}
	}
	split := trainSet.N - cfg.ValSize
	sets := train.Datasets{
		Train:       images(trainSet.Slice(0, split)),
		Val:         images(trainSet.Slice(split, trainSet.N)),
		Test:        images(testSet),
		LoadSeconds: time.Since(began).Seconds(),
	}

	enc := json.NewEncoder(stdout)
	hooks := train.Hooks{
		Start: func(s train.Start) {
			say("data %s: %d train, %d validation, %d test images", dir, s.TrainImages,
				s.ValImages, s.TestImages)
			say("model %s: %d trainable parameters; kernel %s, %d threads; run directory %s",
				cfg.Model, s.Params, s.Kernel, s.Threads, *out)
		},
		Epoch: func(e train.EpochStats) {
			if *jsonOut {
				enc.Encode(e)
				return
			}
			mark := ""
			if e.Best {
				mark = "  *best"
			}
			say("epoch %2d/%d  train loss %.4f acc %6.2f%%  val loss %.4f acc %6.2f%%  "+
				"lr %.1e  %5.1fs  %4.0f img/s%s", e.Epoch, cfg.Epochs, e.TrainLoss,
				100*e.TrainAccuracy, e.ValLoss, 100*e.ValAccuracy, e.LR, e.Seconds,
				e.ImagesPerSec, mark)
		},
	}
	sum, err := train.Fit(ctx, cfg, sets, *out, hooks)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; completed epochs are in %s", *out)
		}
		return err
	}

	if *jsonOut {
		return enc.Encode(sum)
	}
	fmt.Fprintf(stdout, "test accuracy %.2f%% (loss %.4f) with the best checkpoint, epoch %d "+
		"(val %.2f%%); %.0fs wall, %.0f img/s, peak memory %d MiB; results in %s\n",
		100*sum.TestAccuracy, sum.TestLoss, sum.BestEpoch, 100*sum.BestValAccuracy,
		sum.WallSeconds, sum.ImagesPerSec, sum.PeakRSSBytes>>20, *out)
	return nil
}

// images adapts a CIFAR-10 set to a data.Dataset.
func images(s *cifar.Set) *data.Images {
	return &data.Images{Pixels: s.Images, Labels: s.Labels,
		C: cifar.Channels, H: cifar.ImageSize, W: cifar.ImageSize}
}

// downloadProgress prints the download's progress every 10%.
func downloadProgress(w io.Writer, silent bool) func(done, total int64) {
	if silent {
		return nil
	}
	next := int64(0)
	return func(done, total int64) {
		if total <= 0 || done*10 < next*total {
			return
		}
		fmt.Fprintf(w, "downloading CIFAR-10: %3d%% of %d MiB\n", done*100/total, total>>20)
		next = done*10/total + 1
	}
}
