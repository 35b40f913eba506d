// Package report draws the figures of a training run as PNG files and writes a
// self-contained report.html that presents the run like the results section of
// a case study.
//
// The package does not import package train (train imports report); callers
// convert their epoch statistics into Epoch values. Every file is written to a
// temporary file in the destination directory and then renamed, so a reader
// never sees a half-written figure or page.
package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Epoch is one epoch's metrics, with the same meaning as a line of
// metrics.jsonl: losses are mean cross-entropies, accuracies are fractions in
// [0, 1], LR is the learning rate used, Seconds the epoch's wall time and
// ImagesPerSec the training throughput.
type Epoch struct {
	Epoch         int
	TrainLoss     float64
	TrainAccuracy float64
	ValLoss       float64
	ValAccuracy   float64
	LR            float64
	Seconds       float64
	ImagesPerSec  float64
}

// Image is an RGB image stored as three uint8 channel planes [3, H, W]:
// Pixels[c*H*W + y*W + x] is channel c (red, green, blue) at row y, column x.
type Image struct {
	Pixels []uint8
	H, W   int
}

// check returns an error when im's pixel count does not match [3, H, W].
func (im Image) check(file, what string, i int) error {
	if im.H <= 0 || im.W <= 0 {
		return fmt.Errorf("report: %s: %s[%d] has size %dx%d; H and W must be positive",
			file, what, i, im.H, im.W)
	}
	if len(im.Pixels) != 3*im.H*im.W {
		return fmt.Errorf("report: %s: %s[%d] has %d pixels values, want 3*H*W = %d",
			file, what, i, len(im.Pixels), 3*im.H*im.W)
	}
	return nil
}

// upscale returns im as an RGBA image enlarged by an integer factor with
// nearest-neighbour sampling, so every source pixel stays a sharp square.
func (im Image) upscale(factor int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, im.W*factor, im.H*factor))
	plane := im.H * im.W
	for y := 0; y < im.H*factor; y++ {
		for x := 0; x < im.W*factor; x++ {
			src := (y/factor)*im.W + x/factor
			o := out.PixOffset(x, y)
			out.Pix[o+0] = im.Pixels[src]
			out.Pix[o+1] = im.Pixels[plane+src]
			out.Pix[o+2] = im.Pixels[2*plane+src]
			out.Pix[o+3] = 255
		}
	}
	return out
}

// dpi is the resolution of every figure; sizes are given in pixels and
// converted to points with px.
const dpi = 96

// px converts a length in pixels at dpi to a vg.Length in points.
func px(n float64) vg.Length { return vg.Length(n * 72 / dpi) }

// colours used across figures: train blue, validation orange, test green.
var (
	colTrain = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colVal   = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	colTest  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	colWrong = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colRight = color.RGBA{R: 30, G: 30, B: 30, A: 255}
	colGrid  = color.Gray{Y: 225}
)

// sans returns the sans-serif plot font at size points.
func sans(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

// textStyle returns a plain-text style in the sans font.
func textStyle(size vg.Length, c color.Color) draw.TextStyle {
	return text.Style{Color: c, Font: sans(size), Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter, YAlign: draw.YCenter}
}

// newPlot returns a plot with sans-serif fonts, the given title and axis
// labels, and light grid lines.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(14)
	p.Title.Padding = px(8)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(11)
		a.Tick.Label.Font = sans(9.5)
	}
	p.Legend.TextStyle.Font = sans(10)
	gr := plotter.NewGrid()
	gr.Vertical.Color = colGrid
	gr.Horizontal.Color = colGrid
	p.Add(gr)
	return p
}

// newCanvas returns a white image canvas of w×h pixels at dpi.
func newCanvas(w, h int) *vgimg.Canvas {
	return vgimg.NewWith(vgimg.UseWH(px(float64(w)), px(float64(h))), vgimg.UseDPI(dpi),
		vgimg.UseBackgroundColor(color.White))
}

// savePNG encodes c as PNG and writes it atomically to path.
func savePNG(path string, c *vgimg.Canvas) error {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return fmt.Errorf("report: %s: encoding PNG: %v", path, err)
	}
	return writeAtomic(path, buf.Bytes())
}

// writeAtomic writes b to a temporary file next to path, syncs it and renames
// it over path, so path is either absent, the old file, or complete.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("report: %s: %v; check that the directory exists and is writable",
			path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("report: %s: %v", path, err)
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
