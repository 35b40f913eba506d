package data

import "math/rand/v2"

// Transform changes one 8-bit image [C, H, W] into another of the same shape,
// drawing any randomness from rng. dst and src do not overlap.
type Transform interface {
	Apply(dst, src []uint8, c, h, w int, rng *rand.Rand)
}

// RandomCrop pads the image with Padding zero pixels on every side and crops a
// window of the original size at a uniformly random offset, as torchvision's
// RandomCrop(size, padding) on the raw image. The zero padding is applied
// before normalisation, so padded pixels become −mean/std.
type RandomCrop struct {
	Padding int
}

// Apply implements Transform.
func (t RandomCrop) Apply(dst, src []uint8, c, h, w int, rng *rand.Rand) {
	p := t.Padding
	dy := rng.IntN(2*p+1) - p // source row = destination row + dy
	dx := rng.IntN(2*p+1) - p
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			out := dst[(ch*h+y)*w:][:w]
			sy := y + dy
			if sy < 0 || sy >= h {
				clear(out)
				continue
			}
			in := src[(ch*h+sy)*w:][:w]
			for x := range out {
				sx := x + dx
				if sx < 0 || sx >= w {
					out[x] = 0
				} else {
					out[x] = in[sx]
				}
			}
		}
	}
}

// RandomHorizontalFlip mirrors the image left to right with probability P.
type RandomHorizontalFlip struct {
	P float64
}

// Apply implements Transform.
func (t RandomHorizontalFlip) Apply(dst, src []uint8, c, h, w int, rng *rand.Rand) {
	if rng.Float64() >= t.P {
		copy(dst, src[:c*h*w])
		return
	}
	for row := 0; row < c*h; row++ {
		in, out := src[row*w:][:w], dst[row*w:][:w]
		for x := range out {
			out[x] = in[w-1-x]
		}
	}
}

// Compose applies transforms in order.
type Compose []Transform

// Apply implements Transform.
func (ts Compose) Apply(dst, src []uint8, c, h, w int, rng *rand.Rand) {
	ts.apply(dst, src, make([]uint8, c*h*w), c, h, w, rng)
}

// apply is Apply with a scratch buffer of one image for the stages between
// the first and the last.
func (ts Compose) apply(dst, src, tmp []uint8, c, h, w int, rng *rand.Rand) {
	if len(ts) == 0 {
		copy(dst, src[:c*h*w])
		return
	}
	in := src
	for i, t := range ts {
		// alternate buffers so that the last stage writes dst
		out := dst
		if (len(ts)-1-i)%2 == 1 {
			out = tmp
		}
		t.Apply(out, in, c, h, w, rng)
		in = out
	}
}

// Normalize converts 8-bit pixels to float32 as (v/255 − Mean[c]) / Std[c].
type Normalize struct {
	Mean, Std []float32
}

// CIFAR10Normalize holds the usual CIFAR-10 training-set channel statistics.
var CIFAR10Normalize = Normalize{
	Mean: []float32{0.4914, 0.4822, 0.4465},
	Std:  []float32{0.2470, 0.2435, 0.2616},
}

// Apply writes the normalised image [C, H, W] into dst.
func (n Normalize) Apply(dst []float32, src []uint8, c, h, w int) {
	plane := h * w
	for ch := 0; ch < c; ch++ {
		scale := 1 / (255 * n.Std[ch])
		shift := -n.Mean[ch] / n.Std[ch]
		out, in := dst[ch*plane:][:plane], src[ch*plane:][:plane]
		for i, v := range in {
			out[i] = float32(v)*scale + shift
		}
	}
}
