package report

import (
	"flag"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var outDir = flag.String("report.out", "",
	"also write the synthetic run's figures, report.html and screenshot into this directory")

// decodePNG decodes the PNG at path or fails the test.
func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

// checkFigure fails unless path is a PNG of at least minW×minH pixels with at
// least minColours distinct colours and minInk (a fraction) non-white pixels.
func checkFigure(t *testing.T, path string, minW, minH, minColours int, minInk float64) {
	t.Helper()
	im := decodePNG(t, path)
	b := im.Bounds()
	if b.Dx() < minW || b.Dy() < minH || b.Dx() > 4000 || b.Dy() > 6000 {
		t.Errorf("%s: size %dx%d, want at least %dx%d and at most 4000x6000",
			filepath.Base(path), b.Dx(), b.Dy(), minW, minH)
	}
	colours := map[color.RGBA]bool{}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(im.At(x, y)).(color.RGBA)
			colours[c] = true
			if c.R < 245 || c.G < 245 || c.B < 245 {
				ink++
			}
		}
	}
	frac := float64(ink) / float64(b.Dx()*b.Dy())
	if len(colours) < minColours || frac < minInk {
		t.Errorf("%s: %d colours and %.3f non-white, want at least %d and %.3f",
			filepath.Base(path), len(colours), frac, minColours, minInk)
	}
}

// countColour returns how many pixels of the PNG at path are exactly c.
func countColour(t *testing.T, path string, c color.RGBA) int {
	t.Helper()
	im := decodePNG(t, path)
	n := 0
	b := im.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(im.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return n
}

// runDir returns -report.out when set, otherwise a test temporary directory.
func runDir(t *testing.T) string {
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			t.Fatal(err)
		}
		return *outDir
	}
	return t.TempDir()
}

func TestFigures(t *testing.T) {
	dir := runDir(t)
	writeSyntheticRun(t, dir)
	checkFigure(t, filepath.Join(dir, "curves.png"), 900, 400, 50, 0.02)
	checkFigure(t, filepath.Join(dir, "lr_schedule.png"), 700, 300, 30, 0.01)
	checkFigure(t, filepath.Join(dir, "augmentation.png"), 4*128, 4*128, 500, 0.3)
	checkFigure(t, filepath.Join(dir, "class_distribution.png"), 900, 400, 30, 0.05)
	checkFigure(t, filepath.Join(dir, "predictions.png"), 6*128, 2*128, 500, 0.3)
	checkFigure(t, filepath.Join(dir, "confusion_matrix.png"), 600, 600, 40, 0.1)

	// the three predictions marked wrong carry a red border
	border := countColour(t, filepath.Join(dir, "predictions.png"), colWrong)
	if want := 3 * 4 * 128 * 3; border < want {
		t.Errorf("predictions.png: %d red border pixels, want at least %d", border, want)
	}

	// no temporary files are left behind
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestPredictionsAllRightHasNoRed(t *testing.T) {
	dir := t.TempDir()
	ims := []Image{synthImage(1, 32, 32), synthImage(2, 32, 32), synthImage(3, 32, 32)}
	path := filepath.Join(dir, "predictions.png")
	if err := Predictions(path, ims, []int{0, 1, 2}, []int{0, 1, 2}, cifarClasses); err != nil {
		t.Fatal(err)
	}
	if n := countColour(t, path, colWrong); n != 0 {
		t.Errorf("all predictions right but %d pixels are the mistake red", n)
	}
}

func TestFigureSingleEpochAndNaN(t *testing.T) {
	dir := t.TempDir()
	one := []Epoch{{Epoch: 1, TrainLoss: 2, TrainAccuracy: 0.3, ValLoss: math.NaN(),
		ValAccuracy: 0.25, LR: 0.1}}
	if err := Curves(filepath.Join(dir, "curves.png"), one); err != nil {
		t.Fatal(err)
	}
	if err := LRSchedule(filepath.Join(dir, "lr.png"), one); err != nil {
		t.Fatal(err)
	}
	checkFigure(t, filepath.Join(dir, "curves.png"), 900, 400, 20, 0.01)
}

func TestFigureErrors(t *testing.T) {
	dir := t.TempDir()
	im := synthImage(1, 32, 32)
	bad := Image{Pixels: make([]uint8, 10), H: 32, W: 32}
	cases := []struct {
		file string
		err  error
	}{
		{"curves.png", Curves(filepath.Join(dir, "curves.png"), nil)},
		{"lr.png", LRSchedule(filepath.Join(dir, "lr.png"), nil)},
		{"aug.png", Augmentation(filepath.Join(dir, "aug.png"), []Image{im, im},
			[]Image{im, im, im})},
		{"aug2.png", Augmentation(filepath.Join(dir, "aug2.png"), []Image{bad}, []Image{im})},
		{"pred.png", Predictions(filepath.Join(dir, "pred.png"), []Image{im}, []int{10},
			[]int{0}, cifarClasses)},
		{"pred2.png", Predictions(filepath.Join(dir, "pred2.png"), []Image{im}, nil, nil,
			cifarClasses)},
		{"dist.png", ClassDistribution(filepath.Join(dir, "dist.png"), []string{"a", "b"},
			map[string][]int{"train": {1}})},
		{"dist2.png", ClassDistribution(filepath.Join(dir, "dist2.png"), []string{"a"},
			map[string][]int{"train": {-1}})},
		{"cm.png", ConfusionMatrix(filepath.Join(dir, "cm.png"), [][]int{{1, 2}, {3}},
			[]string{"a", "b"})},
		{"cm2.png", ConfusionMatrix(filepath.Join(dir, "cm2.png"), [][]int{{1}},
			[]string{"a", "b"})},
		{"missing.png", Curves(filepath.Join(dir, "no", "such", "missing.png"),
			synthEpochs(2))},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.file)
			continue
		}
		if msg := c.err.Error(); !strings.Contains(msg, c.file) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q should be one line naming the file", c.file, msg)
		}
		if _, err := os.Stat(filepath.Join(dir, c.file)); err == nil {
			t.Errorf("%s: written despite the error", c.file)
		}
	}
}

func TestScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("renders with chromium; skipped in -short mode")
	}
	found := false
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if _, err := exec.LookPath(b); err == nil {
			found = true
		}
	}
	if !found {
		t.Skip("no chromium on PATH")
	}
	dir := runDir(t)
	writeSyntheticRun(t, dir)
	shot := filepath.Join(dir, "screenshot.png")
	out, err := exec.Command("../scripts/screenshot-report.sh", dir, shot).CombinedOutput()
	if err != nil {
		t.Fatalf("screenshot-report.sh: %v\n%s", err, out)
	}
	checkFigure(t, shot, 1200, 3000, 1000, 0.05)
}
