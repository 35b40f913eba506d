// Package data feeds images to training: datasets of 8-bit images, random
// augmentations, and a loader that shuffles, augments, normalises and batches
// in background goroutines.
package data

import (
	"fmt"
	"sync"
)

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

// Preloader is implemented by datasets that read their examples only when
// asked to: Preload reads them, or reports why it cannot. Users of a Dataset
// call it, when present, before the first Example.
type Preloader interface {
	Preload() error
}

// Preload reads d's examples if d defers reading them (see Preloader).
func Preload(d Dataset) error {
	if p, ok := d.(Preloader); ok {
		return p.Preload()
	}
	return nil
}

// Deferred is a Dataset of N images of C×H×W bytes that is read only when
// first needed, by Read: a training run, for example, tests on its test set
// only at the end and need not hold it in memory until then.
type Deferred struct {
	N       int
	C, H, W int

	// Read returns the examples; it is called at most once.
	Read func() (Dataset, error)

	once sync.Once
	data Dataset
	err  error
}

// Preload implements Preloader. It fails if Read fails or returns a different
// number or shape of images than d promises.
func (d *Deferred) Preload() error {
	d.once.Do(func() {
		d.data, d.err = d.Read()
		if d.err != nil {
			return
		}
		c, h, w := d.data.Dims()
		if d.data.Len() != d.N || c != d.C || h != d.H || w != d.W {
			d.err = fmt.Errorf("data: read %d images of %d×%d×%d, expected %d of %d×%d×%d",
				d.data.Len(), c, h, w, d.N, d.C, d.H, d.W)
		}
	})
	return d.err
}

// Len implements Dataset.
func (d *Deferred) Len() int { return d.N }

// Dims implements Dataset.
func (d *Deferred) Dims() (c, h, w int) { return d.C, d.H, d.W }

// Example implements Dataset, reading the whole set on the first call. It
// panics if reading fails; call Preload first to handle that error.
func (d *Deferred) Example(i int) ([]uint8, int) {
	if err := d.Preload(); err != nil {
		panic(err)
	}
	return d.data.Example(i)
}
