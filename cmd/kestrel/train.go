package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/data/cifar"
	"github.com/kestrel-ml/kestrel/train"
)

// dataFlags are the flags of every command that reads CIFAR-10.
type dataFlags struct {
	dir        string
	noDownload bool
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dir, "data", "", "CIFAR-10 directory (cifar-10-batches-bin); default $"+
		cifar.EnvData+" or the download cache")
	fs.BoolVar(&d.noDownload, "no-download", false, "fail instead of downloading missing data")
}

// find finds or downloads CIFAR-10 and returns its directory.
func (d *dataFlags) find(ctx context.Context, stderr io.Writer, silent bool) (string, error) {
	return cifar.Ensure(ctx, d.dir, !d.noDownload, cifar.DownloadOptions{
		Progress: downloadProgress(stderr, silent),
	})
}

// recipeFlags lists the flags that set the training recipe; a resumed run
// takes its recipe from its run directory instead.
var recipeFlags = []string{"model", "epochs", "batch-size", "optimizer", "lr", "momentum",
	"nesterov", "weight-decay", "lr-step", "lr-gamma", "label-smoothing", "val-size",
	"augment", "seed", "workers", "threads", "out"}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	began := time.Now()
	cfg := train.DefaultConfig()
	fs := flag.NewFlagSet("kestrel train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var df dataFlags
	df.register(fs)
	out := fs.String("out", "", "run directory (default runs/<timestamp>)")
	resume := fs.String("resume", "", "continue the interrupted run in this run directory")
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	// a resumed run keeps its recipe and directory
	firstEpoch := 1
	if *resume != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			for _, r := range recipeFlags {
				if f.Name == r {
					clash = append(clash, "--"+f.Name)
				}
			}
		})
		if len(clash) > 0 {
			return usageError{fmt.Errorf("--resume takes the recipe from %s; drop %s",
				*resume, strings.Join(clash, " "))}
		}
		saved, done, err := train.ConfigOf(*resume)
		if err != nil {
			return err
		}
		cfg, *out, firstEpoch = saved, *resume, done+1
		if df.dir == "" {
			df.dir = cfg.DataDir
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if *out == "" {
		*out = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}

	say := func(format string, a ...any) {
		if !*quiet && !*jsonOut {
			fmt.Fprintf(stdout, format+"\n", a...)
		}
	}
	dir, err := df.find(ctx, stderr, *quiet || *jsonOut)
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	cfg.DataDir = dir
	trainSet, err := cifar.LoadTrain(dir)
	if err != nil {
		return err
	}
	if cfg.ValSize >= trainSet.N {
		return usageError{fmt.Errorf("--val-size %d leaves no training images (the set has %d)",
			cfg.ValSize, trainSet.N)}
	}

	// the test set is checked now but held in memory only for the final test
	testSet, err := cifar.LoadTest(dir)
	if err != nil {
		return err
	}
	test := &data.Deferred{N: testSet.N, C: cifar.Channels, H: cifar.ImageSize,
		W: cifar.ImageSize, Read: func() (data.Dataset, error) {
			s, err := cifar.LoadTest(dir)
			if err != nil {
				return nil, err
			}
			return images(s), nil
		}}

	split := trainSet.N - cfg.ValSize
	sets := train.Datasets{
		Train:       images(trainSet.Slice(0, split)),
		Val:         images(trainSet.Slice(split, trainSet.N)),
		Test:        test,
		Classes:     cifar.ClassNames[:],
		LoadSeconds: time.Since(began).Seconds(),
	}

	// progress: a bar on a terminal, one line per epoch otherwise
	enc := json.NewEncoder(stdout)
	var bar *epochBar
	if !*quiet && !*jsonOut && isTerminal(stderr) {
		bar = newEpochBar(stderr)
	}
	hooks := train.Hooks{
		Start: func(s train.Start) {
			say("data %s: %d train, %d validation, %d test images", dir, s.TrainImages,
				s.ValImages, s.TestImages)
			say("model %s: %d trainable parameters; kernel %s, %d threads; run directory %s",
				cfg.Model, s.Params, s.Kernel, s.Threads, *out)
			if firstEpoch > 1 {
				say("resuming at epoch %d of %d", firstEpoch, cfg.Epochs)
			}
		},
		Step: func(p train.Progress) {
			if bar != nil {
				bar.update(p)
			}
		},
		Epoch: func(e train.EpochStats) {
			if bar != nil {
				bar.finish()
			}
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
	var sum *train.Summary
	if *resume != "" {
		sum, err = train.Resume(ctx, sets, *out, hooks)
	} else {
		sum, err = train.Fit(ctx, cfg, sets, *out, hooks)
	}
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		if ctx.Err() != nil {
			if _, done, serr := train.ConfigOf(*out); serr == nil && done > 0 {
				return fmt.Errorf("interrupted after epoch %d; continue with: "+
					"kestrel train --resume %s", done, *out)
			}
			return fmt.Errorf("interrupted before the first epoch ended; nothing to resume " +
				"(start again)")
		}
		return err
	}

	if *jsonOut {
		return enc.Encode(sum)
	}
	fmt.Fprintf(stdout, "test accuracy %.2f%% (top-5 %.2f%%, loss %.4f) with the best "+
		"checkpoint, epoch %d (val %.2f%%); %.0fs wall, %.0f img/s, peak memory %d MiB; "+
		"results in %s\n", 100*sum.TestAccuracy, 100*sum.TestTop5Accuracy, sum.TestLoss,
		sum.BestEpoch, 100*sum.BestValAccuracy, sum.WallSeconds, sum.ImagesPerSec,
		sum.PeakRSSBytes>>20, *out)
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
