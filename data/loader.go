package data

import (
	"context"
	"iter"
	"math/rand/v2"
	"sync"

	"github.com/kestrel-ml/kestrel/tensor"
)

// Loader yields a Dataset in batches: shuffled with a per-epoch seeded
// permutation, augmented with Transform, normalised, and prepared by Workers
// background goroutines a few batches ahead of the consumer.
//
// The same Seed, epoch and batch size give the same batches, whatever the
// number of workers: each batch draws its augmentation from its own generator
// seeded by (Seed, epoch, batch index).
type Loader struct {
	Data      Dataset
	BatchSize int

	// Shuffle draws a new permutation for every epoch; otherwise examples come
	// in order.
	Shuffle bool
	Seed    uint64

	// Transform, if set, augments each raw image before normalisation.
	Transform Transform
	Normalize Normalize

	// DropLast drops a final partial batch; by default it is kept.
	DropLast bool

	// Workers is the number of goroutines preparing batches (default 1).
	Workers int
}

// Batch is one batch of examples.
type Batch struct {
	// Images is [B, C, H, W], normalised.
	Images *tensor.Tensor

	// Labels holds the B labels.
	Labels []int

	// Index is the batch's position within its epoch, from 0.
	Index int
}

// NumBatches returns the number of batches in one epoch.
func (l *Loader) NumBatches() int {
	n := l.Data.Len()
	if l.DropLast {
		return n / l.BatchSize
	}
	return (n + l.BatchSize - 1) / l.BatchSize
}

// Order returns the example indices of an epoch in the order they are served.
func (l *Loader) Order(epoch int) []int {
	n := l.Data.Len()
	if !l.Shuffle {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	rng := rand.New(rand.NewPCG(l.Seed, uint64(epoch)))
	return rng.Perm(n)
}

// Epoch returns the batches of one epoch, in order. Stopping the iteration
// early, or cancelling ctx, stops the background workers.
func (l *Loader) Epoch(ctx context.Context, epoch int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		order := l.Order(epoch)
		nb := l.NumBatches()
		workers := max(l.Workers, 1)
		ahead := 2 * workers

		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		results := make([]chan *Batch, nb)
		for i := range results {
			results[i] = make(chan *Batch, 1)
		}
		jobs := make(chan int)
		slots := make(chan struct{}, ahead)

		// feed batch indices in order, at most `ahead` beyond the consumer
		go func() {
			defer close(jobs)
			for b := 0; b < nb; b++ {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range jobs {
					lo := b * l.BatchSize
					hi := min(lo+l.BatchSize, len(order))
					results[b] <- l.make(order[lo:hi], epoch, b)
				}
			}()
		}
		defer wg.Wait()
		defer cancel()

		for b := 0; b < nb; b++ {
			var batch *Batch
			select {
			case batch = <-results[b]:
			case <-ctx.Done():
				return
			}
			<-slots
			if !yield(batch) {
				return
			}
		}
	}
}

// make prepares the batch of the given example indices.
func (l *Loader) make(indices []int, epoch, index int) *Batch {
	c, h, w := l.Data.Dims()
	size := c * h * w
	images := tensor.Zeros(len(indices), c, h, w)
	labels := make([]int, len(indices))
	rng := rand.New(rand.NewPCG(l.Seed^0x5bd1e995, uint64(epoch)<<32|uint64(index)))
	aug, tmp := make([]uint8, size), make([]uint8, size)
	for i, ex := range indices {
		img, label := l.Data.Example(ex)
		if ts, ok := l.Transform.(Compose); ok {
			ts.apply(aug, img, tmp, c, h, w, rng)
			img = aug
		} else if l.Transform != nil {
			l.Transform.Apply(aug, img, c, h, w, rng)
			img = aug
		}
		l.Normalize.Apply(images.Data[i*size:(i+1)*size], img, c, h, w)
		labels[i] = label
	}
	return &Batch{Images: images, Labels: labels, Index: index}
}
