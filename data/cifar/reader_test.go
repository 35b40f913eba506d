package cifar

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genPixel is the generated value of channel c, row y, column x of image i in a
// batch built with seed.
func genPixel(seed, i, c, y, x int) uint8 {
	return uint8(seed*131 + i*7 + c*31 + y*5 + x*3)
}

// genLabel is the generated label of image i in a batch built with seed.
func genLabel(seed, i int) uint8 {
	return uint8((seed + i*3) % NumClasses)
}

// batchBytes builds a batch file of n records, placing every byte at the offset
// the CIFAR-10 layout documents: record i at i*3073, its label first, then
// channel c, row y, column x at 1 + c*1024 + y*32 + x.
func batchBytes(seed, n int) []byte {
	b := make([]byte, n*3073)
	for i := 0; i < n; i++ {
		rec := i * 3073
		b[rec] = genLabel(seed, i)
		for c := 0; c < 3; c++ {
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					b[rec+1+c*1024+y*32+x] = genPixel(seed, i, c, y, x)
				}
			}
		}
	}
	return b
}

// metaText is batches.meta.txt as in the official archive.
func metaText() []byte {
	return []byte(strings.Join(ClassNames[:], "\n") + "\n\n")
}

// batchSeeds gives the seed of every batch file of a generated dataset.
var batchSeeds = map[string]int{
	"data_batch_1.bin": 1, "data_batch_2.bin": 2, "data_batch_3.bin": 3,
	"data_batch_4.bin": 4, "data_batch_5.bin": 5, "test_batch.bin": 6,
}

// writeFile writes b to dir/name or fails the test.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeDataset writes a generated dataset of records records per batch to dir.
func writeDataset(t *testing.T, dir string, records int) {
	t.Helper()
	for name, seed := range batchSeeds {
		writeFile(t, dir, name, batchBytes(seed, records))
	}
	writeFile(t, dir, metaFile, metaText())
}

// checkGenerated checks that image j..j+n of s are images 0..n of the batch
// generated with seed.
func checkGenerated(t *testing.T, s *Set, j, seed, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if got, want := s.Labels[j+i], genLabel(seed, i); got != want {
			t.Fatalf("seed %d image %d: label %d, want %d", seed, i, got, want)
		}
		img := s.Image(j + i)
		for c := 0; c < Channels; c++ {
			for y := 0; y < ImageSize; y++ {
				for x := 0; x < ImageSize; x++ {
					got := img[(c*ImageSize+y)*ImageSize+x]
					if want := genPixel(seed, i, c, y, x); got != want {
						t.Fatalf("seed %d image %d c%d y%d x%d: %d, want %d",
							seed, i, c, y, x, got, want)
					}
				}
			}
		}
	}
}

// checkOneLine fails unless err is a one-line error containing every want.
func checkOneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

func TestReadBatchDecodesPlanes(t *testing.T) {
	b := batchBytes(7, 3)

	// record 1: constant planes R=200 G=100 B=50, one marked green pixel.
	rec := 1 * RecordSize
	for k := 0; k < 1024; k++ {
		b[rec+1+k], b[rec+1+1024+k], b[rec+1+2048+k] = 200, 100, 50
	}
	b[rec+1+1024+3*32+5] = 7
	path := writeFile(t, t.TempDir(), "batch.bin", b)

	s, err := ReadBatch(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || len(s.Labels) != 3 || len(s.Images) != 3*ImageBytes {
		t.Fatalf("N %d, %d labels, %d image bytes; want 3, 3, %d",
			s.N, len(s.Labels), len(s.Images), 3*ImageBytes)
	}
	checkGenerated(t, s.Slice(0, 1), 0, 7, 1)
	if s.Labels[2] != genLabel(7, 2) || s.Image(2)[0] != genPixel(7, 2, 0, 0, 0) {
		t.Errorf("image 2 does not match its record")
	}
	img := s.Image(1)
	for c, v := range []uint8{200, 100, 50} {
		for y := 0; y < ImageSize; y++ {
			for x := 0; x < ImageSize; x++ {
				want := v
				if c == 1 && y == 3 && x == 5 {
					want = 7
				}
				if got := img[c*1024+y*32+x]; got != want {
					t.Fatalf("image 1 c%d y%d x%d: %d, want %d", c, y, x, got, want)
				}
			}
		}
	}
}

func TestSetImageAndSlice(t *testing.T) {
	path := writeFile(t, t.TempDir(), "batch.bin", batchBytes(3, 5))
	s, err := ReadBatch(path)
	if err != nil {
		t.Fatal(err)
	}

	// a slice sees images 1..3 and shares memory with s.
	sub := s.Slice(1, 4)
	if sub.N != 3 || len(sub.Labels) != 3 || len(sub.Images) != 3*ImageBytes {
		t.Fatalf("Slice(1, 4): N %d, %d labels, %d bytes", sub.N, len(sub.Labels),
			len(sub.Images))
	}
	for i := 0; i < 3; i++ {
		if sub.Labels[i] != s.Labels[i+1] || &sub.Image(i)[0] != &s.Image(i + 1)[0] {
			t.Fatalf("Slice(1, 4) image %d is not image %d of s", i, i+1)
		}
	}
	sub.Image(0)[10] = 99
	if s.Image(1)[10] != 99 {
		t.Errorf("Slice does not share memory")
	}
	if s.Slice(5, 5).N != 0 {
		t.Errorf("Slice(5, 5) is not empty")
	}

	// appending to one image or slice never overwrites the next.
	next := s.Image(1)[0]
	_ = append(s.Image(0), 1)
	_ = append(s.Slice(0, 1).Labels, 9)
	if s.Image(1)[0] != next || s.Labels[1] != genLabel(3, 1) {
		t.Errorf("append through Image or Slice overwrote the next image")
	}

	for _, bad := range [][2]int{{-1, 2}, {3, 2}, {0, 6}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%d, %d) did not panic", bad[0], bad[1])
				}
			}()
			s.Slice(bad[0], bad[1])
		}()
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Image(5) did not panic")
			}
		}()
		s.Image(5)
	}()
}

func TestReadBatchErrors(t *testing.T) {
	dir := t.TempDir()
	good := batchBytes(1, 3)
	badLabel := batchBytes(1, 3)
	badLabel[2*RecordSize] = 10

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"partial.bin", append(good[:2*RecordSize:2*RecordSize], 1, 2, 3, 4, 5),
			"not a whole number"},
		{"truncated.bin", good[:3*RecordSize-1], "not a whole number"},
		{"empty.bin", nil, "empty"},
		{"label.bin", badLabel, "record 2 has label 10"},
	}
	for _, c := range cases {
		path := writeFile(t, dir, c.name, c.data)
		_, err := ReadBatch(path)
		checkOneLine(t, err, path, c.want, "--data")
	}

	missing := filepath.Join(dir, "missing.bin")
	_, err := ReadBatch(missing)
	checkOneLine(t, err, missing, "--data")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
	_, err = ReadBatch(dir)
	checkOneLine(t, err, dir)

	// a demanded record count is enforced.
	path := writeFile(t, dir, "three.bin", good)
	_, err = readBatch(path, 4, nil)
	checkOneLine(t, err, path, "want 12292")
}

func TestLoad(t *testing.T) {
	const records = 4
	dir := t.TempDir()
	writeDataset(t, dir, records)

	train, test, err := load(dir, records)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 5*records || test.N != records {
		t.Fatalf("train %d, test %d images; want %d, %d", train.N, test.N, 5*records, records)
	}
	for k, name := range trainFiles {
		checkGenerated(t, train, k*records, batchSeeds[name], records)
	}
	checkGenerated(t, test, 0, batchSeeds[testFile], records)

	// Load insists on full-size batches.
	_, _, err = Load(dir)
	checkOneLine(t, err, "data_batch_1.bin", "want 30730000")
}

func TestLoadErrors(t *testing.T) {
	const records = 2
	cases := []struct {
		name  string
		edit  func(dir string)
		wants []string
	}{
		{"missing batch", func(dir string) {
			os.Remove(filepath.Join(dir, "data_batch_3.bin"))
		}, []string{"data_batch_3.bin", "--data"}},
		{"missing test", func(dir string) {
			os.Remove(filepath.Join(dir, testFile))
		}, []string{testFile, "--data"}},
		{"short batch", func(dir string) {
			writeFile(t, dir, "data_batch_5.bin", batchBytes(5, 1))
		}, []string{"data_batch_5.bin", "want 6146"}},
		{"missing meta", func(dir string) {
			os.Remove(filepath.Join(dir, metaFile))
		}, []string{metaFile, "--data"}},
		{"wrong classes", func(dir string) {
			writeFile(t, dir, metaFile, []byte(strings.Replace(string(metaText()),
				"cat", "tiger", 1)))
		}, []string{metaFile, `class 3 is "tiger", want "cat"`}},
		{"too few classes", func(dir string) {
			writeFile(t, dir, metaFile, []byte("apple\nbanana\n"))
		}, []string{metaFile, "2 class names, want 10"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeDataset(t, dir, records)
			c.edit(dir)
			_, _, err := load(dir, records)
			checkOneLine(t, err, c.wants...)
		})
	}
}

// TestLoadReal checks Load against facts of the official dataset when a copy
// is present at the usual shared location.
func TestLoadReal(t *testing.T) {
	dir := "/work/shared/datasets/cifar-10-batches-bin"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no real CIFAR-10 copy at", dir)
	}
	if testing.Short() {
		t.Skip("reads 180 MB")
	}
	if err := checkDir(dir, BatchRecords); err != nil {
		t.Fatal(err)
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 50000 || test.N != 10000 {
		t.Fatalf("train %d, test %d images; want 50000, 10000", train.N, test.N)
	}

	wantTrain := []uint8{6, 9, 9, 4, 1, 1, 2, 7, 8, 3, 4, 7, 7, 2, 9, 9, 9, 3, 2, 6}
	wantTest := []uint8{3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9, 8, 5, 7, 8, 6}
	for i := range wantTrain {
		if train.Labels[i] != wantTrain[i] || test.Labels[i] != wantTest[i] {
			t.Fatalf("label %d: train %d test %d, want %d %d", i, train.Labels[i],
				test.Labels[i], wantTrain[i], wantTest[i])
		}
	}
	img := train.Image(0)
	if img[0] != 59 || img[1] != 43 || img[2] != 50 {
		t.Errorf("train[0] red plane starts %d %d %d, want 59 43 50", img[0], img[1], img[2])
	}

	// every class has 5,000 training and 1,000 test images.
	var nTrain, nTest [NumClasses]int
	for _, l := range train.Labels {
		nTrain[l]++
	}
	for _, l := range test.Labels {
		nTest[l]++
	}
	for c := range nTrain {
		if nTrain[c] != 5000 || nTest[c] != 1000 {
			t.Errorf("class %d: %d train, %d test images; want 5000, 1000", c, nTrain[c], nTest[c])
		}
	}
}
