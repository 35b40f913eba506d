package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIm2colFastPathsMatchGeneral checks the whole-plane Im2col and Col2im
// (stride 1, output as wide as the input) against the general loops, including
// kernels taller than they are wide and planes narrower than the kernel.
func TestIm2colFastPathsMatchGeneral(t *testing.T) {
	shapes := []ConvShape{
		NewConvShape(1, 3, 8, 8, 1, 3, 3, 1, 1),
		NewConvShape(1, 2, 5, 7, 1, 5, 5, 1, 2),
		NewConvShape(1, 2, 6, 4, 1, 5, 3, 1, 1),
		NewConvShape(1, 2, 3, 5, 1, 1, 1, 1, 0),
		NewConvShape(1, 1, 2, 2, 1, 3, 3, 1, 1),
		NewConvShape(1, 1, 4, 1, 1, 3, 1, 1, 0),
	}
	for i, s := range shapes {
		if !sameWidth(s) {
			t.Fatalf("shape %d does not take the fast path", i)
		}
		name := fmt.Sprintf("shape%d", i)
		rng := rand.New(rand.NewPCG(uint64(i), 5))
		x := random(rng, s.C*s.H*s.W)
		n := s.C * s.KH * s.KW * s.OH * s.OW

		// fill with garbage first: every element must be written
		got, want := random(rng, n), make([]float32, n)
		Im2col(s, x, got)
		im2colGeneral(s, x, want)
		assertClose(t, name+"/im2col", got, want, 0)

		c := random(rng, n)
		dx := random(rng, len(x))
		wdx := append([]float32(nil), dx...)
		Col2im(s, c, dx)
		col2imGeneral(s, c, wdx)
		assertClose(t, name+"/col2im", dx, wdx, 1e-6)
	}
}
