package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/data"
	"github.com/kestrel-ml/kestrel/data/cifar"
	"github.com/kestrel-ml/kestrel/models"
	"github.com/kestrel-ml/kestrel/train"
)

// toyRecords returns n CIFAR-10 records (label byte, then R, G, B planes)
// whose class sets the brightness of one channel and the place of a bright
// square: easy to learn, impossible to guess.
func toyRecords(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]byte, n*cifar.RecordSize)
	for i := 0; i < n; i++ {
		rec := out[i*cifar.RecordSize : (i+1)*cifar.RecordSize]
		label := rng.IntN(10)
		rec[0] = byte(label)
		img := rec[1:]
		ch := label % 3
		for j := range img {
			img[j] = byte(rng.IntN(60))
		}
		for j := 0; j < 1024; j++ {
			img[ch*1024+j] += byte(20 * label)
		}
		oy, ox := 4+2*(label/2), 4+4*(label%5)
		for y := oy; y < oy+6; y++ {
			for x := ox; x < ox+6; x++ {
				img[1024*((ch+1)%3)+y*32+x] = 250
			}
		}
	}
	return out
}

// toyCIFAR writes a directory in the CIFAR-10 layout whose training batches
// are all-zero (sparse) files and whose test batch holds toy images.
func toyCIFAR(t *testing.T) string {
	dir := t.TempDir()
	for i := 1; i <= 5; i++ {
		f, err := os.Create(filepath.Join(dir, "data_batch_"+string(rune('0'+i))+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(cifar.BatchFileSize)
		f.Close()
	}
	test := toyRecords(cifar.BatchRecords, 9)
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), test, 0o644); err != nil {
		t.Fatal(err)
	}
	meta := strings.Join(cifar.ClassNames[:], "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func recordsSet(raw []byte) *data.Images {
	n := len(raw) / cifar.RecordSize
	d := &data.Images{Pixels: make([]uint8, n*3072), Labels: make([]uint8, n), C: 3, H: 32, W: 32}
	for i := 0; i < n; i++ {
		d.Labels[i] = raw[i*cifar.RecordSize]
		copy(d.Pixels[i*3072:], raw[i*cifar.RecordSize+1:(i+1)*cifar.RecordSize])
	}
	return d
}

// TestEvalAndPredict trains a small model, then checks that kestrel eval and
// kestrel predict report what the model computes in process, and that the
// model is right about most toy images.
func TestEvalAndPredict(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ctx := context.Background()
	runDir := t.TempDir()
	cfg := train.DefaultConfig()
	cfg.Epochs, cfg.BatchSize, cfg.ValSize = 2, 32, 64
	sets := train.Datasets{Train: recordsSet(toyRecords(480, 1)),
		Val: recordsSet(toyRecords(64, 2)), Test: recordsSet(toyRecords(64, 3))}
	if _, err := train.Fit(ctx, cfg, sets, runDir, train.Hooks{}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(runDir, train.BestFile)
	dataDir := toyCIFAR(t)

	// eval: the command's accuracy is the in-process accuracy, well above chance
	var out bytes.Buffer
	if err := run(ctx, []string{"eval", "--checkpoint", ckpt, "--data", dataDir, "--json",
		"--out", filepath.Join(runDir, "eval")}, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var res EvalResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	m, _ := models.New("simplecnn", 0)
	if _, err := checkpoint.Load(ckpt, m); err != nil {
		t.Fatal(err)
	}
	testSet := recordsSet(toyRecords(cifar.BatchRecords, 9))
	ev, err := train.Evaluate(ctx, m, &data.Loader{Data: testSet, BatchSize: 100,
		Normalize: data.CIFAR10Normalize})
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != 10000 || res.Accuracy != ev.Accuracy || res.Accuracy < 0.3 {
		t.Errorf("eval reports %d images at %.4f, in process %.4f", res.Images, res.Accuracy,
			ev.Accuracy)
	}
	for _, f := range res.Figures {
		if st, err := os.Stat(f); err != nil || st.Size() < 1000 {
			t.Errorf("figure %s: %v", f, err)
		}
	}

	// predict: PNGs of test images, upscaled 3×, get the in-process class
	var paths []string
	for i := 0; i < 8; i++ {
		px, _ := testSet.Example(i)
		img := image.NewRGBA(image.Rect(0, 0, 96, 96))
		for y := 0; y < 96; y++ {
			for x := 0; x < 96; x++ {
				p := (y/3)*32 + x/3
				img.Set(x, y, color.RGBA{px[p], px[1024+p], px[2048+p], 255})
			}
		}
		path := filepath.Join(t.TempDir(), "img.png")
		f, _ := os.Create(path)
		png.Encode(f, img)
		f.Close()
		paths = append(paths, path)
	}
	out.Reset()
	if err := run(ctx, append([]string{"predict", "--checkpoint", ckpt, "--json"}, paths...),
		&out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	agree := 0
	for i := range paths {
		var p Prediction
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if len(p.Top) != 5 || p.Top[0].Probability < p.Top[1].Probability {
			t.Fatalf("prediction %+v", p)
		}
		if p.Top[0].Index == ev.Predictions[i] {
			agree++
		}
	}
	// resizing 96→32 is not exactly the original pixels, so allow one disagreement
	if agree < len(paths)-1 {
		t.Errorf("predict agrees with the model on %d of %d images", agree, len(paths))
	}
}
