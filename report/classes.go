package report

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// splitOrder is the order of the usual splits in ClassDistribution; other
// split names follow in sorted order.
var splitOrder = []string{"train", "validation", "test"}

// ClassDistribution draws class_distribution.png at path: for each class a
// group of bars, one per split, giving the number of images of that class.
// counts maps a split name ("train", "validation", "test", drawn in that
// order, then any others sorted) to one count per class, so every slice must
// have len(classes) non-negative entries. The figure is 1000×420 pixels.
func ClassDistribution(path string, classes []string, counts map[string][]int) error {
	if len(classes) == 0 || len(counts) == 0 {
		return fmt.Errorf("report: %s: %d classes and %d splits; pass class names and "+
			"counts for at least one split", path, len(classes), len(counts))
	}
	var splits []string
	for _, s := range splitOrder {
		if _, ok := counts[s]; ok {
			splits = append(splits, s)
		}
	}
	var others []string
	for s := range counts {
		if !slices.Contains(splitOrder, s) {
			others = append(others, s)
		}
	}
	slices.Sort(others)
	splits = append(splits, others...)
	for _, s := range splits {
		if len(counts[s]) != len(classes) {
			return fmt.Errorf("report: %s: split %q has %d counts for %d classes; pass one "+
				"count per class", path, s, len(counts[s]), len(classes))
		}
		for i, v := range counts[s] {
			if v < 0 {
				return fmt.Errorf("report: %s: split %q class %q has count %d; counts must "+
					"not be negative", path, s, classes[i], v)
			}
		}
	}

	p := newPlot("Images per class", "class", "images")
	palette := []color.Color{colTrain, colVal, colTest, color.RGBA{148, 103, 189, 255},
		color.RGBA{140, 86, 75, 255}, color.RGBA{127, 127, 127, 255}}

	// bars of a group share 80% of the unit spacing between classes
	c := newCanvas(1000, 420)
	dc := draw.New(c)
	plotW := dc.Max.X - dc.Min.X - px(120)
	unit := plotW / vg.Length(len(classes))
	barW := unit * 0.8 / vg.Length(len(splits))
	for k, s := range splits {
		vals := make(plotter.Values, len(classes))
		for i, v := range counts[s] {
			vals[i] = float64(v)
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return fmt.Errorf("report: %s: %v", path, err)
		}
		b.Color = palette[k%len(palette)]
		b.LineStyle.Width = 0
		b.Offset = (vg.Length(k) - vg.Length(len(splits)-1)/2) * barW
		p.Add(b)
		p.Legend.Add(s, b)
	}
	p.NominalX(classes...)
	p.Y.Tick.Marker = niceTicks{}
	p.X.Min, p.X.Max = -0.5, float64(len(classes))-0.5
	p.X.Label.Text = ""
	// headroom above the tallest bar keeps the legend clear of the bars
	p.Y.Min = 0
	var most int
	for _, s := range splits {
		most = max(most, slices.Max(counts[s]))
	}
	p.Y.Max = 1.2 * float64(max(most, 1))
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = px(-6)
	p.Draw(draw.Crop(dc, px(10), -px(16), px(6), -px(6)))
	return savePNG(path, c)
}
