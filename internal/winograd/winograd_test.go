package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kestrel-ml/kestrel/internal/gemm"
)

// forEachPath runs f once for every matrix-multiply path this machine
// supports, which selects the assembly or the Go transform loops.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	for _, path := range gemm.Paths() {
		restore, err := gemm.Use(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(path, f)
		restore()
	}
}

func random(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// sizes covers planes whose tile rows are whole groups of four tiles, partial
// groups, odd sizes with partial tiles, and a single pixel.
var sizes = [][2]int{{16, 16}, {8, 8}, {32, 32}, {7, 9}, {9, 7}, {6, 10}, {1, 1}, {2, 17}}

// TestInputMatchesTiles checks Input, on every path, against transforming
// each zero-padded tile on its own, bit for bit, and that reusing the scratch
// for a second plane gives that plane's tiles.
func TestInputMatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, hw := range sizes {
			h, w := hw[0], hw[1]
			th, tw := Tiles(h, w)
			ld := th*tw + 3
			rng := rand.New(rand.NewPCG(uint64(h), uint64(w)))
			scratch := make([]float32, ScratchSize(h, w))
			for round := 0; round < 2; round++ {
				plane := random(rng, h*w)
				v := make([]float32, Positions*ld)
				Input(v, ld, plane, h, w, scratch)
				for ty := 0; ty < th; ty++ {
					for tx := 0; tx < tw; tx++ {
						var d [16]float32
						window(d[:], 4, plane, h, w, 2*ty-1, 2*tx-1)
						want := transformInput(d)
						checkTile(t, v, ld, h, w, ty, tx, want[:])
					}
				}
			}
		}
	})
}

// window copies the size×size window of plane [h, w] whose top left pixel is
// (y0, x0) into dst, row by row, with zeros for pixels outside the plane.
func window(dst []float32, size int, plane []float32, h, w, y0, x0 int) {
	for r := 0; r < size; r++ {
		for c := 0; c < size; c++ {
			y, x := y0+r, x0+c
			if y >= 0 && y < h && x >= 0 && x < w {
				dst[size*r+c] = plane[y*w+x]
			}
		}
	}
}

// checkTile checks that tile (ty, tx) of an h×w plane holds want in got,
// where position ξ of tile t is got[ξ·ld + t], bit for bit.
func checkTile(t *testing.T, got []float32, ld, h, w, ty, tx int, want []float32) {
	t.Helper()
	_, tw := Tiles(h, w)
	for xi := range want {
		if g := got[xi*ld+ty*tw+tx]; g != want[xi] {
			t.Fatalf("%dx%d tile (%d,%d) position %d: %v, want %v", h, w, ty, tx, xi, g, want[xi])
		}
	}
}

// TestOutputMatchesTiles checks Output, writing and accumulating, on every
// path, against transforming each tile on its own, bit for bit.
func TestOutputMatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, hw := range sizes {
			for _, accumulate := range []bool{false, true} {
				h, w := hw[0], hw[1]
				th, tw := Tiles(h, w)
				ld := th*tw + 5
				rng := rand.New(rand.NewPCG(uint64(h), uint64(w)))
				m := random(rng, Positions*ld)
				plane := random(rng, h*w)
				want := append([]float32(nil), plane...)
				const bias = 0.375
				Output(plane, h, w, m, ld, bias, accumulate)
				for ty := 0; ty < th; ty++ {
					for tx := 0; tx < tw; tx++ {
						var tile [16]float32
						for xi := range tile {
							tile[xi] = m[xi*ld+ty*tw+tx]
						}
						y := transformOutput(tile)
						for r := 0; r < 2; r++ {
							for c := 0; c < 2; c++ {
								oy, ox := 2*ty+r, 2*tx+c
								if oy >= h || ox >= w {
									continue
								}
								if accumulate {
									want[oy*w+ox] += y[2*r+c] + bias
								} else {
									want[oy*w+ox] = y[2*r+c] + bias
								}
							}
						}
					}
				}
				name := fmt.Sprintf("%dx%d accumulate=%v", h, w, accumulate)
				for i := range want {
					if plane[i] != want[i] {
						t.Fatalf("%s: output %d is %v, want %v", name, i, plane[i], want[i])
					}
				}
			}
		}
	})
}

// TestTransformsConvolve checks the algebra: for one input and one output
// channel, Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A equals the direct 3×3 correlation, and the
// adjoint kernels are the rotated ones.
func TestTransformsConvolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		d, g := random(rng, 16), random(rng, 9)
		for _, adjoint := range []bool{false, true} {
			u := make([]float32, Positions)
			Kernels(u, g, 1, 1, adjoint)
			k := g
			if adjoint {
				k = make([]float32, 9)
				for i := range k {
					k[i] = g[8-i]
				}
			}
			var dt [16]float32
			copy(dt[:], d)
			v := transformInput(dt)
			var p [16]float32
			for i := range p {
				p[i] = u[i] * v[i]
			}
			y := transformOutput(p)
			checkCorrelation(t, fmt.Sprintf("adjoint=%v", adjoint), y[:], 2, d, 4, k, 1e-5)
		}
	}
}

// checkCorrelation fails unless y, out×out row by row, is the correlation of
// the size×size tile d with the 3×3 kernel k within tol relative to 1 + |y|.
func checkCorrelation(t *testing.T, what string, y []float32, out int, d []float32, size int,
	k []float32, tol float64) {
	t.Helper()
	for r := 0; r < out; r++ {
		for c := 0; c < out; c++ {
			var want float64
			for ky := 0; ky < 3; ky++ {
				for kx := 0; kx < 3; kx++ {
					want += float64(d[(r+ky)*size+c+kx]) * float64(k[ky*3+kx])
				}
			}
			if got := float64(y[out*r+c]); math.Abs(got-want) > tol*(1+math.Abs(want)) {
				t.Fatalf("%s: output (%d,%d) = %v, want %v", what, r, c, got, want)
			}
		}
	}
}

// TestGradientMatchesTiles checks Gradient, on every path, against
// transforming each 2×2 block on its own, bit for bit.
func TestGradientMatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, hw := range sizes {
			h, w := hw[0], hw[1]
			th, tw := Tiles(h, w)
			ld := th*tw + 1
			rng := rand.New(rand.NewPCG(uint64(h), uint64(w)))
			plane := random(rng, h*w)
			m := make([]float32, Positions*ld)
			Gradient(m, ld, plane, h, w)
			for ty := 0; ty < th; ty++ {
				for tx := 0; tx < tw; tx++ {
					var dy [4]float32
					window(dy[:], 2, plane, h, w, 2*ty, 2*tx)
					want := transformGradient(dy)
					checkTile(t, m, ld, h, w, ty, tx, want[:])
				}
			}
		}
	})
}

// TestGradientsAreAdjoint checks that Gradient and KernelGradients are the
// adjoints of Output and Kernels: <Output(M), dY> = <M, Gradient(dY)> and
// <Kernels(g), dU> = <g, KernelGradients(dU)>.
func TestGradientsAreAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, hw := range sizes {
		h, w := hw[0], hw[1]
		th, tw := Tiles(h, w)
		n := th * tw
		m, dy := random(rng, Positions*n), random(rng, h*w)
		y := make([]float32, h*w)
		Output(y, h, w, m, n, 0, false)
		dm := make([]float32, Positions*n)
		Gradient(dm, n, dy, h, w)
		if lhs, rhs := dot(y, dy), dot(m, dm); math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%dx%d: <Output(M), dY> = %v but <M, Gradient(dY)> = %v", h, w, lhs, rhs)
		}
	}

	const oc, c = 3, 2
	g, du := random(rng, oc*c*9), random(rng, Positions*oc*c)
	u := make([]float32, Positions*oc*c)
	Kernels(u, g, oc, c, false)
	dg := make([]float32, oc*c*9)
	KernelGradients(dg, du, oc, c)
	if lhs, rhs := dot(u, du), dot(g, dg); math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
		t.Errorf("<Kernels(g), dU> = %v but <g, KernelGradients(dU)> = %v", lhs, rhs)
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
