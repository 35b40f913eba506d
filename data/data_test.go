package data

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// ramp returns a 1×3×4 image whose pixel (y, x) is 10·(y+1) + x + 1.
func ramp() []uint8 {
	img := make([]uint8, 12)
	for y := 0; y < 3; y++ {
		for x := 0; x < 4; x++ {
			img[y*4+x] = uint8(10*(y+1) + x + 1)
		}
	}
	return img
}

func TestHorizontalFlip(t *testing.T) {
	dst := make([]uint8, 12)
	RandomHorizontalFlip{P: 1}.Apply(dst, ramp(), 1, 3, 4, rand.New(rand.NewPCG(1, 1)))
	want := []uint8{14, 13, 12, 11, 24, 23, 22, 21, 34, 33, 32, 31}
	if !slices.Equal(dst, want) {
		t.Fatalf("flipped %v, want %v", dst, want)
	}
	RandomHorizontalFlip{P: 0}.Apply(dst, ramp(), 1, 3, 4, rand.New(rand.NewPCG(1, 1)))
	if !slices.Equal(dst, ramp()) {
		t.Fatalf("P=0 changed the image: %v", dst)
	}
}

func TestRandomCropGeometry(t *testing.T) {
	// every crop is the padded image shifted by (dy, dx) in [-p, p]; all
	// offsets occur
	src := ramp()
	seen := map[[2]int]bool{}
	rng := rand.New(rand.NewPCG(2, 2))
	for trial := 0; trial < 400; trial++ {
		dst := make([]uint8, 12)
		RandomCrop{Padding: 1}.Apply(dst, src, 1, 3, 4, rng)
		found := false
		for dy := -1; dy <= 1 && !found; dy++ {
			for dx := -1; dx <= 1 && !found; dx++ {
				if slices.Equal(dst, shifted(src, 3, 4, dy, dx)) {
					seen[[2]int{dy, dx}] = true
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("crop %v is no shift of the padded image", dst)
		}
	}
	if len(seen) != 9 {
		t.Fatalf("saw %d of 9 offsets", len(seen))
	}
}

func shifted(src []uint8, h, w, dy, dx int) []uint8 {
	out := make([]uint8, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sy, sx := y+dy, x+dx
			if sy >= 0 && sy < h && sx >= 0 && sx < w {
				out[y*w+x] = src[sy*w+sx]
			}
		}
	}
	return out
}

func TestNormalize(t *testing.T) {
	n := Normalize{Mean: []float32{0.5, 0}, Std: []float32{0.5, 1}}
	dst := make([]float32, 2)
	n.Apply(dst, []uint8{255, 51}, 2, 1, 1)
	if dst[0] != 1 || dst[1] < 0.1999 || dst[1] > 0.2001 {
		t.Fatalf("normalised %v, want [1 0.2]", dst)
	}
}

func testImages(n int) *Images {
	d := &Images{Pixels: make([]uint8, n*3*2*2), Labels: make([]uint8, n), C: 3, H: 2, W: 2}
	for i := 0; i < n; i++ {
		d.Labels[i] = uint8(i % 10)
		for j := 0; j < 12; j++ {
			d.Pixels[i*12+j] = uint8(i + j)
		}
	}
	return d
}

func collect(l *Loader, epoch int) ([][]int, [][]float32) {
	var labels [][]int
	var images [][]float32
	for b := range l.Epoch(context.Background(), epoch) {
		labels = append(labels, b.Labels)
		images = append(images, b.Images.Data)
	}
	return labels, images
}

func TestLoaderBatchesAndDeterminism(t *testing.T) {
	d := testImages(23)
	mk := func(workers int) *Loader {
		return &Loader{Data: d, BatchSize: 5, Shuffle: true, Seed: 42, Workers: workers,
			Transform: Compose{RandomCrop{Padding: 1}, RandomHorizontalFlip{P: 0.5}},
			Normalize: Normalize{Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}}
	}
	l := mk(1)
	if l.NumBatches() != 5 {
		t.Fatalf("%d batches, want 5", l.NumBatches())
	}
	labels, images := collect(l, 0)
	if len(labels) != 5 || len(labels[4]) != 3 {
		t.Fatalf("batch sizes wrong: %d batches, last %d", len(labels), len(labels[len(labels)-1]))
	}

	// every example exactly once per epoch
	order := l.Order(0)
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("epoch order is not a permutation: %v", order)
		}
	}
	for b, ls := range labels {
		for i, lab := range ls {
			if lab != order[b*5+i]%10 {
				t.Fatalf("batch %d label %d = %d, want %d", b, i, lab, order[b*5+i]%10)
			}
		}
	}

	// the same seed and epoch give the same batches with any worker count
	labels3, images3 := collect(mk(3), 0)
	for b := range labels {
		if !slices.Equal(labels[b], labels3[b]) || !slices.Equal(images[b], images3[b]) {
			t.Fatalf("batch %d differs between 1 and 3 workers", b)
		}
	}

	// another epoch gives another order
	if slices.Equal(l.Order(0), l.Order(1)) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	l.DropLast = true
	if l.NumBatches() != 4 {
		t.Fatalf("DropLast: %d batches", l.NumBatches())
	}
}

func TestLoaderStopsEarly(t *testing.T) {
	l := &Loader{Data: testImages(100), BatchSize: 4, Workers: 2,
		Normalize: Normalize{Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}}
	n := 0
	for range l.Epoch(context.Background(), 0) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("got %d batches", n)
	}
}

// TestDeferred checks that a deferred data set reads its images once, on first
// use, and reports a read that does not match what it promised.
func TestDeferred(t *testing.T) {
	reads := 0
	images := &Images{Pixels: ramp(), Labels: []uint8{7}, C: 1, H: 3, W: 4}
	d := &Deferred{N: 1, C: 1, H: 3, W: 4, Read: func() (Dataset, error) {
		reads++
		return images, nil
	}}
	if d.Len() != 1 || reads != 0 {
		t.Fatalf("Len %d after %d reads, want 1 after none", d.Len(), reads)
	}
	for range 2 {
		img, label := d.Example(0)
		if !slices.Equal(img, ramp()) || label != 7 {
			t.Fatalf("Example(0) = %v, %d", img, label)
		}
	}
	if err := Preload(d); err != nil || reads != 1 {
		t.Fatalf("Preload: %v after %d reads, want no error after 1", err, reads)
	}

	wrong := &Deferred{N: 2, C: 1, H: 3, W: 4, Read: func() (Dataset, error) { return images, nil }}
	if err := Preload(wrong); err == nil {
		t.Fatal("a set of 1 image was accepted for 2")
	}
	if err := Preload(images); err != nil {
		t.Fatalf("Preload of an in-memory set: %v", err)
	}
}
