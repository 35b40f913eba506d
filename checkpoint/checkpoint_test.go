package checkpoint

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/nn"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	a := models.NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	a.Features.Layers[1].(*nn.BatchNorm2d).Running.NumBatchesTracked = 17
	a.Features.Layers[1].(*nn.BatchNorm2d).Running.RunningVar[3] = 2.5
	if err := Save(path, a, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}

	b := models.NewSimpleCNN(rand.New(rand.NewPCG(2, 2)), 2)
	meta, err := Load(path, b)
	if err != nil {
		t.Fatal(err)
	}
	if meta["epoch"] != "3" {
		t.Errorf("metadata %v", meta)
	}
	sa, sb := a.State(""), b.State("")
	for i := range sa {
		if sa[i].Count != nil {
			if *sa[i].Count != *sb[i].Count {
				t.Errorf("%s: %d != %d", sa[i].Name, *sa[i].Count, *sb[i].Count)
			}
			continue
		}
		for j, v := range sa[i].Tensor.Data {
			if sb[i].Tensor.Data[j] != v {
				t.Fatalf("%s[%d]: %v != %v", sa[i].Name, j, sb[i].Tensor.Data[j], v)
			}
		}
	}

	// the names and order are PyTorch's state_dict
	ts, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"features.0.weight", "features.0.bias", "features.1.weight",
		"features.1.bias", "features.1.running_mean", "features.1.running_var",
		"features.1.num_batches_tracked", "features.4.weight"}
	for i, name := range want {
		if ts[i].Name != name {
			t.Errorf("tensor %d is %s, want %s", i, ts[i].Name, name)
		}
	}
	if last := ts[len(ts)-1]; last.Name != "classifier.4.bias" || len(last.F32) != 10 {
		t.Errorf("last tensor %s with %d values", last.Name, len(last.F32))
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	m := models.NewSimpleCNN(rand.New(rand.NewPCG(1, 1)), 1)
	if err := Save(good, m, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)

	other := nn.NewSequential(nn.NewLinear(rand.New(rand.NewPCG(3, 3)), 4, 2))
	otherPath := filepath.Join(dir, "other.safetensors")
	if err := Save(otherPath, other, nil); err != nil {
		t.Fatal(err)
	}
	wrongShape := nn.NewSequential(nn.NewLinear(rand.New(rand.NewPCG(3, 3)), 5, 2))

	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, path string
		model      nn.Module
		want       string
	}{
		{"missing", filepath.Join(dir, "nope.safetensors"), m, "no such file"},
		{"empty", write("empty", nil), m, "too short"},
		{"truncated", write("trunc", raw[:len(raw)-100]), m, "truncated"},
		{"garbage header", write("garbage",
			append([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "not json"...)), m, "header"},
		{"other model", otherPath, m, "missing features.0.weight"},
		{"extra tensors", good, other, "missing 0.weight"},
		{"wrong shape", otherPath, wrongShape, "0.weight is F32[2 4], want F32[2 5]"},
	}
	for _, c := range cases {
		before := FromModule(c.model)
		_, err := Load(c.path, c.model)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		after := FromModule(c.model)
		for i := range before {
			for j := range before[i].F32 {
				if before[i].F32[j] != after[i].F32[j] {
					t.Fatalf("%s: model changed by a failed load", c.name)
				}
			}
		}
	}
}
