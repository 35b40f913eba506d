package report

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// cellTarget is the size in pixels that images are upscaled towards: a 32×32
// image is drawn 4× (128×128) with nearest-neighbour sampling.
const cellTarget = 128

// scaleFor returns the integer upscaling factor that brings the larger side
// of an h×w image closest to cellTarget without exceeding it (at least 1).
func scaleFor(h, w int) int {
	return max(1, cellTarget/max(h, w))
}

// grid draws text and images on a pixel canvas whose origin is the top-left
// corner, hiding the bottom-up coordinates of vg.
type grid struct {
	c    *vgimg.Canvas
	dc   draw.Canvas
	w, h int
}

// newGrid returns a white w×h pixel canvas.
func newGrid(w, h int) *grid {
	c := newCanvas(w, h)
	return &grid{c: c, dc: draw.New(c), w: w, h: h}
}

// text draws s centred at pixel (x, y) in the given size and colour.
func (g *grid) text(x, y float64, s string, size vg.Length, c color.Color) {
	g.dc.FillText(textStyle(size, c), vg.Point{X: px(x), Y: px(float64(g.h) - y)}, s)
}

// rect fills the pixel rectangle r with c.
func (g *grid) rect(r image.Rectangle, c color.Color) {
	stddraw.Draw(g.c.Image(), r, image.NewUniform(c), image.Point{}, stddraw.Src)
}

// image draws im upscaled by scaleFor, centred in the cell of size cw×ch whose
// top-left corner is (x, y), with a border of width bw in colour border when
// bw > 0. It returns the rectangle the image covers.
func (g *grid) image(im Image, x, y, cw, ch, bw int, border color.Color) image.Rectangle {
	up := im.upscale(scaleFor(im.H, im.W))
	b := up.Bounds()
	at := image.Pt(x+(cw-b.Dx())/2, y+(ch-b.Dy())/2)
	r := b.Add(at)
	if bw > 0 {
		g.rect(r.Inset(-bw), border)
	}
	stddraw.Draw(g.c.Image(), r, up, image.Point{}, stddraw.Src)
	return r
}

// cellSize returns the largest upscaled width and height among ims.
func cellSize(ims ...[]Image) (w, h int) {
	for _, list := range ims {
		for _, im := range list {
			s := scaleFor(im.H, im.W)
			w, h = max(w, im.W*s), max(h, im.H*s)
		}
	}
	return w, h
}

// Augmentation draws augmentation.png at path: one row per original image,
// the original in the first column and its augmented versions to its right.
// augmented holds k versions of each original, grouped by original:
// augmented[i*k : (i+1)*k] belong to originals[i], so len(augmented) must be a
// positive multiple of len(originals). Images are upscaled with
// nearest-neighbour sampling (4× for 32×32) so single pixels stay visible.
func Augmentation(path string, originals, augmented []Image) error {
	if len(originals) == 0 || len(augmented) == 0 || len(augmented)%len(originals) != 0 {
		return fmt.Errorf("report: %s: %d originals and %d augmented images; pass at "+
			"least one original and k augmented versions of each", path,
			len(originals), len(augmented))
	}
	for i, im := range originals {
		if err := im.check(path, "originals", i); err != nil {
			return err
		}
	}
	for i, im := range augmented {
		if err := im.check(path, "augmented", i); err != nil {
			return err
		}
	}
	k := len(augmented) / len(originals)

	// layout: title band, header band, then rows of cells with a gap after
	// the originals column
	cw, ch := cellSize(originals, augmented)
	const pad, sep, titleH, headH = 12, 24, 44, 28
	cols := 1 + k
	w := 2*pad + cols*cw + (cols-1)*pad + sep
	h := titleH + headH + len(originals)*(ch+pad) + pad
	w = max(w, 420)
	g := newGrid(w, h)
	left := (w - (2*pad + cols*cw + (cols-1)*pad + sep)) / 2
	colX := func(j int) int {
		x := left + pad + j*(cw+pad)
		if j > 0 {
			x += sep
		}
		return x
	}

	// title and column headers
	g.text(float64(w)/2, titleH/2+4, "Data augmentation: originals and augmented versions",
		14, colRight)
	g.text(float64(colX(0)+cw/2), titleH+headH/2-2, "original", 11, colRight)
	for j := 1; j < cols; j++ {
		g.text(float64(colX(j)+cw/2), titleH+headH/2-2, fmt.Sprintf("augmented %d", j), 11,
			colRight)
	}

	// separator between originals and augmented versions
	sx := colX(0) + cw + (pad+sep)/2
	g.rect(image.Rect(sx-1, titleH, sx+1, h-pad/2), colGrid)

	// images
	for i, im := range originals {
		y := titleH + headH + i*(ch+pad)
		g.image(im, colX(0), y, cw, ch, 0, nil)
		for j := range k {
			g.image(augmented[i*k+j], colX(1+j), y, cw, ch, 0, nil)
		}
	}
	return savePNG(path, g.c)
}

// Predictions draws predictions.png at path: a grid of images (at most eight
// per row and about 1080 pixels wide, upscaled with nearest-neighbour sampling) each labelled
// "predicted / true" with class names from classes. Mistakes get a red label
// and a red border. predicted and actual hold one class index per image.
func Predictions(path string, images []Image, predicted, actual []int, classes []string) error {
	n := len(images)
	if n == 0 {
		return fmt.Errorf("report: %s: no images to draw; pass at least one", path)
	}
	if len(predicted) != n || len(actual) != n {
		return fmt.Errorf("report: %s: %d images, %d predictions, %d labels; pass one "+
			"prediction and one label per image", path, n, len(predicted), len(actual))
	}
	for i, im := range images {
		if err := im.check(path, "images", i); err != nil {
			return err
		}
		if p, a := predicted[i], actual[i]; p < 0 || p >= len(classes) ||
			a < 0 || a >= len(classes) {
			return fmt.Errorf("report: %s: image %d has prediction %d, label %d; both must "+
				"index the %d classes", path, i, p, a, len(classes))
		}
	}

	// labels decide the cell width
	const labelSize = 10
	sty := textStyle(labelSize, colRight)
	labels := make([]string, n)
	cw, ch := cellSize(images)
	wrong := 0
	for i := range images {
		labels[i] = classes[predicted[i]] + " / " + classes[actual[i]]
		cw = max(cw, int(float64(sty.Width(labels[i]))*dpi/72)+6)
		if predicted[i] != actual[i] {
			wrong++
		}
	}

	// layout: title band, subtitle band, then cells of image plus label
	const pad, titleH, subH, labelH, bw = 14, 40, 26, 24, 3
	cols := max(1, min(n, 8, (1080-pad)/(cw+pad)))
	rows := (n + cols - 1) / cols
	w := max(pad+cols*(cw+pad), 520)
	h := titleH + subH + rows*(ch+2*bw+labelH+pad) + pad
	g := newGrid(w, h)
	left := (w - (pad + cols*(cw+pad))) / 2

	g.text(float64(w)/2, titleH/2+4, "Predictions on test images", 14, colRight)
	g.text(float64(w)/2, titleH+subH/2-4, fmt.Sprintf(
		"label: predicted / true; red = mistake (%d of %d wrong)", wrong, n), 10,
		color.Gray{Y: 80})
	for i, im := range images {
		x := left + pad + (i%cols)*(cw+pad)
		y := titleH + subH + (i/cols)*(ch+2*bw+labelH+pad) + bw
		lc, bc, width := colRight, color.Color(nil), 0
		if predicted[i] != actual[i] {
			lc, bc, width = colWrong, colWrong, bw
		}
		r := g.image(im, x, y, cw, ch, width, bc)
		g.text(float64(x)+float64(cw)/2, float64(r.Max.Y+bw)+labelH/2, labels[i], labelSize, lc)
	}
	return savePNG(path, g.c)
}
