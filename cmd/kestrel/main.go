// Command kestrel trains and evaluates image classifiers on the CPU.
//
// Usage:
//
//	kestrel train [flags]    train a model on CIFAR-10 (downloading it if needed)
//	kestrel help             show this help
//
// Run "kestrel train -h" for the flags of a command.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `kestrel trains and evaluates image classifiers on the CPU.

Usage:
  kestrel train [flags]    train a model on CIFAR-10 (downloads the data if needed)
  kestrel help             show this help

Run "kestrel COMMAND -h" for the flags of a command.
`

// usageError marks errors in how the command was called; they exit with status 2.
type usageError struct{ error }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
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
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Errorf("unknown command %q; run \"kestrel help\"", args[0])}
}
