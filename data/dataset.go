// Package data feeds images to training: datasets of 8-bit images, random
// augmentations, and a loader that shuffles, augments, normalises and batches
// in background goroutines.
package data

// Dataset is an indexed collection of labelled 8-bit images, each stored as
// channel planes [C, H, W].
type Dataset interface {
	// Len returns the number of examples.
	Len() int

	// Dims returns the image shape: channels, height, width.
	Dims() (c, h, w int)

	// Example returns image i as C·H·W bytes (channel planes, rows top to
	// bottom) and its label. The bytes must not be modified.
	Example(i int) (image []uint8, label int)
}

// Images is a Dataset held in memory: Pixels holds N images of C·H·W bytes
// each, one after another, and Labels their N labels.
type Images struct {
	Pixels  []uint8
	Labels  []uint8
	C, H, W int
}

// Len implements Dataset.
func (d *Images) Len() int { return len(d.Labels) }

// Dims implements Dataset.
func (d *Images) Dims() (c, h, w int) { return d.C, d.H, d.W }

// Example implements Dataset.
func (d *Images) Example(i int) ([]uint8, int) {
	n := d.C * d.H * d.W
	return d.Pixels[i*n : (i+1)*n], int(d.Labels[i])
}

// Slice returns examples [from, to) of d, sharing its memory.
func (d *Images) Slice(from, to int) *Images {
	n := d.C * d.H * d.W
	return &Images{Pixels: d.Pixels[from*n : to*n], Labels: d.Labels[from:to], C: d.C, H: d.H, W: d.W}
}
