package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	empty := t.TempDir()
	truncated := t.TempDir()
	for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"} {
		if err := os.WriteFile(filepath.Join(truncated, name), []byte("short"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	garbage := filepath.Join(empty, "garbage.safetensors")
	if err := os.WriteFile(garbage, []byte("not a checkpoint at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{nil, true, "no command"},
		{[]string{"fly"}, true, `unknown command "fly"`},
		{[]string{"train", "--epochs", "-1"}, true, "--epochs must be at least 1"},
		{[]string{"train", "--batch-size", "0"}, true, "--batch-size must be at least 1"},
		{[]string{"train", "--model", "nope"}, true, `--model "nope" is unknown`},
		{[]string{"train", "--lr", "abc"}, true, "invalid value"},
		{[]string{"train", "--bogus"}, true, "flag provided but not defined"},
		{[]string{"train", "extra"}, true, "takes no arguments"},
		{[]string{"train", "--data", filepath.Join(empty, "missing")}, false, "missing"},
		{[]string{"train", "--data", truncated}, false, "data_batch_1.bin"},
		{[]string{"train", "--resume", empty}, false, "not a run directory"},
		{[]string{"train", "--resume", empty, "--lr", "0.1"}, true, "drop --lr"},
		{[]string{"eval"}, true, "--checkpoint is required"},
		{[]string{"eval", "--checkpoint", filepath.Join(empty, "nope.safetensors")}, false,
			"no such file"},
		{[]string{"eval", "--checkpoint", garbage}, false, "not a valid safetensors file"},
		{[]string{"predict", "--checkpoint", garbage}, true, "at least one image"},
		{[]string{"predict", "--checkpoint", garbage, "x.png"}, false,
			"not a valid safetensors file"},
		{[]string{"predict", "--top", "0", "--checkpoint", garbage, "x.png"}, true, "--top"},
		{[]string{"info", "extra"}, true, "takes no arguments"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), c.args, &out, &errOut)
		if err == nil {
			t.Errorf("%q: no error", c.args)
			continue
		}
		var ue usageError
		if errors.As(err, &ue) != c.usage {
			t.Errorf("%q: usage error %v, want %v", c.args, !c.usage, c.usage)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not mention %q", c.args, err, c.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error spans several lines: %q", c.args, err)
		}
	}
}
