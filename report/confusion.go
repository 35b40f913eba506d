package report

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ConfusionMatrix draws confusion_matrix.png at path: a heat map of m [C, C]
// with rows the true class and columns the predicted class, class names on
// both axes and the count written in each cell when cells are large enough.
// A cell's shade is its share of its row (the fraction of that true class),
// so the diagonal reads as per-class recall; a colour bar gives the scale.
// m must be square with len(classes) rows and non-negative counts.
func ConfusionMatrix(path string, m [][]int, classes []string) error {
	n := len(classes)
	if n == 0 || len(m) != n {
		return fmt.Errorf("report: %s: matrix has %d rows for %d classes; pass a "+
			"[C, C] matrix and C class names", path, len(m), n)
	}
	for i, row := range m {
		if len(row) != n {
			return fmt.Errorf("report: %s: row %d (%s) has %d columns, want %d", path, i,
				classes[i], len(row), n)
		}
		for j, v := range row {
			if v < 0 {
				return fmt.Errorf("report: %s: cell [%d][%d] is %d; counts must not be "+
					"negative", path, i, j, v)
			}
		}
	}

	// layout in pixels: title, row labels left, matrix, colour bar right,
	// rotated column labels below
	cell := min(64, max(14, 600/n))
	labelSty := textStyle(10, colRight)
	var longest float64
	for _, c := range classes {
		longest = max(longest, float64(labelSty.Width(c))*dpi/72)
	}
	const titleH, axisW, gap, barW, barLabelW = 50, 34, 8, 18, 110
	matX := axisW + int(longest) + gap
	matY := titleH
	side := n * cell
	below := int(longest*math.Sqrt2/2) + 20 + 28
	w := matX + side + 30 + barW + barLabelW
	h := matY + side + below
	g := newGrid(w, h)

	// title and axis titles
	g.text(float64(matX+side/2), titleH/2, "Confusion matrix (test set)", 14, colRight)
	rot := textStyle(11, colRight)
	rot.Rotation = math.Pi / 2
	g.dc.FillText(rot, vg.Point{X: px(axisW / 2), Y: px(float64(h - matY - side/2))},
		"true class")
	g.text(float64(matX+side/2), float64(h-14), "predicted class", 11, colRight)

	// cells, shaded by the row share, with counts
	countSize := vg.Length(min(11, float64(cell)*0.28))
	for i, row := range m {
		var total int
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			frac := 0.0
			if total > 0 {
				frac = float64(v) / float64(total)
			}
			r := image.Rect(matX+j*cell, matY+i*cell, matX+(j+1)*cell, matY+(i+1)*cell)
			g.rect(r, shade(frac))
			g.rect(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), color.White)
			g.rect(image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), color.White)
			s := strconv.Itoa(v)
			sty := textStyle(countSize, colRight)
			if cell < 18 || float64(sty.Width(s))*dpi/72 > float64(cell-2) {
				continue
			}
			tc := color.Color(colRight)
			if frac > 0.5 {
				tc = color.White
			}
			g.text(float64(r.Min.X)+float64(cell)/2, float64(r.Min.Y)+float64(cell)/2, s,
				countSize, tc)
		}
	}

	// class names: right-aligned before each row, rotated 45° under each column
	rowSty := textStyle(10, colRight)
	rowSty.XAlign = draw.XRight
	colSty := rowSty
	colSty.Rotation = math.Pi / 4
	for i, c := range classes {
		y := float64(matY + i*cell + cell/2)
		g.dc.FillText(rowSty, vg.Point{X: px(float64(matX - gap)), Y: px(float64(h) - y)}, c)
		x := float64(matX + i*cell + cell/2)
		g.dc.FillText(colSty, vg.Point{X: px(x + 4), Y: px(float64(h-matY-side) - 6)}, c)
	}

	// colour bar from 0 to 100% of the true class
	bx := matX + side + 30
	for y := 0; y < side; y++ {
		g.rect(image.Rect(bx, matY+y, bx+barW, matY+y+1), shade(1-float64(y)/float64(side-1)))
	}
	tick := textStyle(9.5, colRight)
	tick.XAlign = draw.XLeft
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := float64(matY) + (1-f)*float64(side-1)
		g.rect(image.Rect(bx+barW, int(y), bx+barW+4, int(y)+1), colRight)
		g.dc.FillText(tick, vg.Point{X: px(float64(bx + barW + 7)), Y: px(float64(h) - y)},
			fmt.Sprintf("%.0f%%", 100*f))
	}
	bar := textStyle(10, colRight)
	bar.Rotation = -math.Pi / 2
	g.dc.FillText(bar, vg.Point{X: px(float64(bx + barW + 60)),
		Y: px(float64(h - matY - side/2))}, "share of true class")
	return savePNG(path, g.c)
}

// shade maps a fraction in [0, 1] to a white-to-dark-blue colour.
func shade(f float64) color.RGBA {
	f = min(1, max(0, f))
	lerp := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + f*(float64(b)-float64(a)))) }
	return color.RGBA{R: lerp(247, 8), G: lerp(251, 48), B: lerp(255, 107), A: 255}
}
