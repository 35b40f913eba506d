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
