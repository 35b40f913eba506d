package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	for _, mode := range []string{"train", "infer"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"bench", "--mode", mode, "--batch-size", "2",
			"--threads", "1", "--repeats", "1", "--time", "1ms", "--json"}, &out, &errOut)
		if err != nil {
			t.Fatalf("bench --mode %s: %v (stderr %q)", mode, err, errOut.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("bench --json printed %q: %v", out.String(), err)
		}
		if v, ok := res["images_per_sec"].(float64); !ok || v <= 0 {
			t.Errorf("bench --mode %s: images_per_sec = %v", mode, res["images_per_sec"])
		}
		if v, ok := res["flops_per_step"].(float64); !ok || v <= 0 {
			t.Errorf("bench --mode %s: flops_per_step = %v", mode, res["flops_per_step"])
		}
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--mode", "fly"}, {"--batch-size", "-1"}, {"--threads", "-2"}, {"--repeats", "0"},
		{"--time", "0s"}, {"--model", "nope"}, {"--frobnicate"}, {"extra"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"bench"}, args...), &out, &errOut)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("bench %q: got %v, want a usage error", args, err)
		}
	}
}
