// Command kestrel trains and evaluates image classifiers on the CPU.
//
// Usage:
//
//	kestrel train [flags]                       train on CIFAR-10 (downloading it if needed)
//	kestrel eval --checkpoint FILE              test-set metrics and figures
//	kestrel predict --checkpoint FILE IMAGE...  classify PNG or JPEG images
//	kestrel info                                versions, the CPU and the kernels in use
//	kestrel help                                this help
//
// Run "kestrel train -h" for the flags of a command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `kestrel trains and evaluates image classifiers on the CPU.

Usage:
  kestrel train [flags]    train a model on CIFAR-10 (downloads the data if needed)
  kestrel eval --checkpoint FILE [--data DIR] [--json]
                           test-set metrics and figures for a checkpoint
  kestrel predict --checkpoint FILE IMAGE...
                           classify PNG or JPEG images with a trained model
  kestrel info             show versions, the CPU and the kernels in use
  kestrel bench [--mode train|infer] [--batch-size N] [--threads N] [--json]
                           time training or inference on synthetic images
  kestrel help             show this help

Run "kestrel COMMAND -h" for the flags of a command.
`

// usageError marks errors in how the command was called; they exit with status 2.
type usageError struct{ error }

func main() {
	// The heap of a run is mostly long-lived: the data set (no pointers, so
	// never scanned) and recycled buffers. Collecting when it has grown by 10%
	// rather than 100% costs little and keeps the peak close to what is live.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(10)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, errHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, "kestrel:", err)
	var ue usageError
	if errors.As(err, &ue) {
		os.Exit(2)
	}
	os.Exit(1)
}

// run executes the command line args, writing results to stdout and messages
// to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{errors.New("no command given")}
	}
	switch args[0] {
	case "train":
		return runTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		return runEval(ctx, args[1:], stdout, stderr)
	case "predict":
		return runPredict(ctx, args[1:], stdout, stderr)
	case "info":
		return runInfo(args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q; run \"kestrel help\"", args[0])}
}

// parseFlags parses args into fs, which takes no positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", fs.Name(), fs.Args())}
	}
	return nil
}

// errHelp ends a command after its help was shown.
var errHelp = errors.New("help shown")
