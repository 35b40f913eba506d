package report

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// cifarClasses are the CIFAR-10 class names used by the synthetic run.
var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
	"horse", "ship", "truck"}

// synthEpochs returns n epochs of plausible, deterministic training curves.
func synthEpochs(n int) []Epoch {
	out := make([]Epoch, n)
	for i := range out {
		t := float64(i+1) / float64(n)
		out[i] = Epoch{
			Epoch:         i + 1,
			TrainLoss:     2.1*math.Exp(-3*t) + 0.12,
			TrainAccuracy: 0.97 - 0.75*math.Exp(-3.5*t),
			ValLoss:       1.9*math.Exp(-2.8*t) + 0.3 + 0.04*math.Sin(float64(i)),
			ValAccuracy:   0.91 - 0.68*math.Exp(-3.2*t) + 0.01*math.Sin(float64(3*i)),
			LR:            0.05 * (1 + math.Cos(math.Pi*float64(i)/float64(n))) / 2,
			Seconds:       60 + float64(i%3),
			ImagesPerSec:  750 + float64(i%5),
		}
	}
	return out
}

// synthImage returns a deterministic h×w test image: a colour gradient with a
// disc and a bar in random colours.
func synthImage(seed uint64, h, w int) Image {
	r := rand.New(rand.NewPCG(seed, 7))
	im := Image{Pixels: make([]uint8, 3*h*w), H: h, W: w}
	var base, disc, bar [3]float64
	for c := range 3 {
		base[c], disc[c], bar[c] = r.Float64()*200, r.Float64()*255, r.Float64()*255
	}
	cx, cy, rad := r.Float64()*float64(w), r.Float64()*float64(h), float64(w)/4+r.Float64()*4
	by := r.IntN(h)
	for y := range h {
		for x := range w {
			for c := range 3 {
				v := base[c] + 55*float64(x+y)/float64(w+h)
				if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy < rad*rad {
					v = disc[c]
				}
				if y >= by && y < by+3 {
					v = bar[c]
				}
				im.Pixels[c*h*w+y*w+x] = uint8(min(255, max(0, v)))
			}
		}
	}
	return im
}

// augmentOnce applies a horizontal flip (when flip), a shift by (dx, dy) with
// zero padding and a brightness gain, the kind of augmentation CIFAR uses.
func augmentOnce(im Image, flip bool, dx, dy int, gain float64) Image {
	out := Image{Pixels: make([]uint8, len(im.Pixels)), H: im.H, W: im.W}
	for c := range 3 {
		for y := range im.H {
			for x := range im.W {
				sx, sy := x-dx, y-dy
				if flip {
					sx = im.W - 1 - sx
				}
				if sx < 0 || sx >= im.W || sy < 0 || sy >= im.H {
					continue
				}
				v := gain * float64(im.Pixels[c*im.H*im.W+sy*im.W+sx])
				out.Pixels[c*im.H*im.W+y*im.W+x] = uint8(min(255, v))
			}
		}
	}
	return out
}

// writeSyntheticRun draws every figure of a synthetic CIFAR-10 run into dir
// and writes report.html there.
func writeSyntheticRun(t *testing.T, dir string) Page {
	t.Helper()
	epochs := synthEpochs(30)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Curves(filepath.Join(dir, "curves.png"), epochs))
	must(LRSchedule(filepath.Join(dir, "lr_schedule.png"), epochs))

	// augmentation: four originals, three versions each
	var orig, aug []Image
	for i := range 4 {
		im := synthImage(uint64(i), 32, 32)
		orig = append(orig, im)
		aug = append(aug, augmentOnce(im, true, 0, 0, 1), augmentOnce(im, false, 4, -3, 1),
			augmentOnce(im, i%2 == 0, -2, 4, 1.3))
	}
	must(Augmentation(filepath.Join(dir, "augmentation.png"), orig, aug))

	// class distribution: 45000/5000/10000 split, a little uneven
	counts := map[string][]int{}
	for _, s := range []struct {
		name string
		n    int
	}{{"train", 4500}, {"validation", 500}, {"test", 1000}} {
		row := make([]int, 10)
		for c := range row {
			row[c] = s.n + (c%3-1)*s.n/50
		}
		counts[s.name] = row
	}
	must(ClassDistribution(filepath.Join(dir, "class_distribution.png"), cifarClasses, counts))

	// predictions: sixteen images, every fifth one wrong
	var ims []Image
	var pred, act []int
	for i := range 16 {
		ims = append(ims, synthImage(uint64(100+i), 32, 32))
		act = append(act, i%10)
		if i%5 == 2 {
			pred = append(pred, (i+3)%10)
		} else {
			pred = append(pred, i%10)
		}
	}
	must(Predictions(filepath.Join(dir, "predictions.png"), ims, pred, act, cifarClasses))

	// confusion matrix: 1000 test images per class, cat/dog confused most
	m := make([][]int, 10)
	for i := range m {
		m[i] = make([]int, 10)
		m[i][i] = 900 + 9*i
		rest := 1000 - m[i][i]
		for j := range 10 {
			if j != i {
				m[i][j] = rest / 9
			}
		}
		m[i][(i+1)%10] += rest - 9*(rest/9)
	}
	m[3][3], m[3][5], m[5][5], m[5][3] = 780, 140, 820, 121
	must(ConfusionMatrix(filepath.Join(dir, "confusion_matrix.png"), m, cifarClasses))

	p := Page{
		Title: "ResNet-20 on CIFAR-10",
		Recipe: [][2]string{{"model", "resnet20"}, {"optimizer", "SGD, momentum 0.9, nesterov"},
			{"learning rate", "0.05, cosine"}, {"batch size", "128"}, {"epochs", "30"},
			{"augmentation", "random crop (pad 4), horizontal flip"}},
		Summary: [][2]string{{"test accuracy", "90.12%"}, {"top-5", "99.61%"},
			{"best epoch", "28"}, {"train-val gap", "6.1 pts"}, {"epochs to 90% of best", "9"},
			{"time per epoch", "61 s"}, {"images/s", "752"}, {"peak memory", "1.9 GiB"}},
		Hardware: [][2]string{{"CPU", "AMD Ryzen (Zen 5)"}, {"cores", "2"},
			{"kernel", "avx512"}, {"Go", "go1.26"}},
		Epochs:  epochs,
		Classes: PerClass(m, cifarClasses),
		Figures: []Figure{
			{"curves.png", "Loss and accuracy per epoch, train and validation."},
			{"lr_schedule.png", "Learning rate per epoch."},
			{"augmentation.png", "Training images before and after augmentation."},
			{"class_distribution.png", "Images per class in each split."},
			{"predictions.png", "Predictions on test images; mistakes in red."},
			{"confusion_matrix.png", "Confusion matrix on the test set."},
		},
	}
	must(HTML(dir, p))
	return p
}
