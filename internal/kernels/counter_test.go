package kernels

import (
	"math/rand/v2"
	"testing"
)

func TestCounterCountsAndPassesOn(t *testing.T) {
	c := NewCounter(NewCPU())
	rng := rand.New(rand.NewPCG(2, 2))

	a, b := random(rng, 2*3), random(rng, 3*4)
	got, want := make([]float32, 8), make([]float32, 8)
	c.MatMul(false, false, 2, 4, 3, a, b, 0, got)
	NewCPU().MatMul(false, false, 2, 4, 3, a, b, 0, want)
	assertClose(t, "matmul", got, want, 0)
	if c.Flops() != 2*2*4*3 {
		t.Fatalf("after a 2×3·3×4 product Flops() = %d, want 48", c.Flops())
	}

	s := NewConvShape(2, 3, 5, 5, 4, 3, 3, 1, 1)
	x, w := random(rng, 2*3*5*5), random(rng, 4*3*3*3)
	y, dy := make([]float32, 2*4*5*5), random(rng, 2*4*5*5)
	c.ConvForward(s, x, w, nil, y)
	c.ConvBackward(s, x, w, dy, nil, make([]float32, len(w)), nil)
	per := int64(2 * 2 * 4 * 25 * 27)
	if want := 48 + 2*per; c.Flops() != want {
		t.Fatalf("after a convolution forward and weight gradient Flops() = %d, want %d",
			c.Flops(), want)
	}
	if c.Name() != NewCPU().Name() {
		t.Fatalf("Name() = %q, want the inner backend's %q", c.Name(), NewCPU().Name())
	}
}
