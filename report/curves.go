package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curves draws curves.png at path: two panels side by side, loss (left) and
// accuracy in percent (right) against the epoch, each with a train and a
// validation line; the epoch with the best validation accuracy is starred.
// Non-finite values are left out of the lines. The figure is 1000×420 pixels.
func Curves(path string, epochs []Epoch) error {
	if len(epochs) == 0 {
		return fmt.Errorf("report: %s: no epochs to draw; pass at least one Epoch", path)
	}

	// loss panel
	loss := newPlot("Loss", "epoch", "cross-entropy loss")
	loss.X.Tick.Marker = intTicks{}
	loss.Y.Tick.Marker = niceTicks{}
	if err := addSeries(loss, epochs, "train", colTrain, false,
		func(e Epoch) float64 { return e.TrainLoss }); err != nil {
		return fmt.Errorf("report: %s: %v", path, err)
	}
	if err := addSeries(loss, epochs, "validation", colVal, true,
		func(e Epoch) float64 { return e.ValLoss }); err != nil {
		return fmt.Errorf("report: %s: %v", path, err)
	}
	loss.Legend.Top = true

	// accuracy panel
	acc := newPlot("Accuracy", "epoch", "accuracy (%)")
	acc.X.Tick.Marker = intTicks{}
	acc.Y.Tick.Marker = niceTicks{}
	if err := addSeries(acc, epochs, "train", colTrain, false,
		func(e Epoch) float64 { return 100 * e.TrainAccuracy }); err != nil {
		return fmt.Errorf("report: %s: %v", path, err)
	}
	if err := addSeries(acc, epochs, "validation", colVal, true,
		func(e Epoch) float64 { return 100 * e.ValAccuracy }); err != nil {
		return fmt.Errorf("report: %s: %v", path, err)
	}
	if best := BestEpoch(epochs); best >= 0 {
		e := epochs[best]
		s, err := plotter.NewScatter(plotter.XYs{{X: float64(e.Epoch), Y: 100 * e.ValAccuracy}})
		if err != nil {
			return fmt.Errorf("report: %s: %v", path, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: colWrong, Radius: px(7), Shape: draw.PyramidGlyph{}}
		acc.Add(s)
		acc.Legend.Add(fmt.Sprintf("best val %.2f%% (epoch %d)", 100*e.ValAccuracy, e.Epoch), s)
	}
	acc.Legend.Top = false
	acc.Legend.YOffs = px(40)

	// both panels on one canvas
	c := newCanvas(1000, 420)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: px(30), PadLeft: px(10), PadRight: px(16),
		PadTop: px(6), PadBottom: px(6)}
	cells := plot.Align([][]*plot.Plot{{loss, acc}}, tiles, dc)
	loss.Draw(cells[0][0])
	acc.Draw(cells[0][1])
	return savePNG(path, c)
}

// LRSchedule draws lr_schedule.png at path: the learning rate of each epoch as
// a line with markers. The figure is 800×360 pixels.
func LRSchedule(path string, epochs []Epoch) error {
	if len(epochs) == 0 {
		return fmt.Errorf("report: %s: no epochs to draw; pass at least one Epoch", path)
	}
	p := newPlot("Learning-rate schedule", "epoch", "learning rate")
	p.X.Tick.Marker = intTicks{}
	p.Y.Tick.Marker = niceTicks{}
	if err := addSeries(p, epochs, "", colTrain, false,
		func(e Epoch) float64 { return e.LR }); err != nil {
		return fmt.Errorf("report: %s: %v", path, err)
	}
	p.Y.Min = math.Min(p.Y.Min, 0)

	c := newCanvas(800, 360)
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, px(10), -px(16), px(6), -px(6)))
	return savePNG(path, c)
}

// addSeries adds a line of f over epochs to p, with markers when there are few
// epochs, and a legend entry when name is not empty. Non-finite values are
// skipped; a series with no finite value adds nothing.
func addSeries(p *plot.Plot, epochs []Epoch, name string, c color.Color, dashed bool,
	f func(Epoch) float64) error {
	var xys plotter.XYs
	for _, e := range epochs {
		if v := f(e); finite(v) {
			xys = append(xys, plotter.XY{X: float64(e.Epoch), Y: v})
		}
	}
	if len(xys) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.LineStyle = draw.LineStyle{Color: c, Width: px(2.5)}
	if dashed {
		l.LineStyle.Dashes = []vg.Length{px(8), px(4)}
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: px(3), Shape: draw.CircleGlyph{}}
	if len(xys) <= 40 {
		p.Add(l, s)
	} else {
		p.Add(l)
	}
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// intTicks places major ticks on whole numbers, at most about ten of them.
type intTicks struct{}

// Ticks returns integer ticks covering [min, max].
func (intTicks) Ticks(min, max float64) []plot.Tick {
	lo, hi := math.Ceil(min), math.Floor(max)
	if hi < lo {
		return nil
	}
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000} {
		step = s
		if (hi-lo)/s <= 10 {
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return ticks
}

// niceTicks labels about six ticks at steps of 1, 2, 2.5 or 5 times a power
// of ten, with minor ticks halfway between.
type niceTicks struct{}

// Ticks returns the ticks covering [min, max].
func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || !finite(min) || !finite(max) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 4, 64)}}
	}
	raw := (max - min) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(min/step) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > max+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 6, 64)})
		if half := v + step/2; half <= max {
			ticks = append(ticks, plot.Tick{Value: half})
		}
	}
	if lo := first - step/2; lo >= min {
		ticks = append(ticks, plot.Tick{Value: lo})
	}
	return ticks
}
