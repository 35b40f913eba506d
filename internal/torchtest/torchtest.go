// Package torchtest runs the PyTorch reference scripts of Kestrel's parity
// tests. The scripts share the Python module safetensors_io.py of this
// directory, which reads and writes the safetensors files they exchange with
// the tests; each script finds it through its own location (two directories
// up, then internal/torchtest), so it runs the same from go test and by hand.
package torchtest

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is the interpreter that has Debian's python3-torch.
const Python = "/usr/bin/python3"

// SkipStatus is the exit status of a reference script when torch or numpy
// cannot be imported.
const SkipStatus = 77

// Run runs the Python script at path script (relative to the test's package
// directory) with args and fails t when the script fails. It skips t when the
// interpreter is absent or the script exits with SkipStatus, except in CI
// (CI=true), where it fails t instead so that the parity check cannot vanish
// silently.
func Run(t testing.TB, script string, args ...string) {
	t.Helper()
	skip := func(why string) {
		t.Helper()
		msg := "PyTorch parity skipped: " + why + "; apt-get install python3-torch"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true requires it)")
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(Python); err != nil {
		skip(Python + " is absent")
	}

	// run the script, keeping its error output for the messages and the
	// source tree free of __pycache__ directories
	cmd := exec.Command(Python, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()

	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == SkipStatus {
		skip(Python + " cannot import torch (" + strings.TrimSpace(stderr.String()) + ")")
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", Python, script, err, stderr.String())
	}
}
