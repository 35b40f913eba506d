package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kestrel-ml/kestrel/internal/gemm"
	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// convReference is the direct seven-loop convolution, the obviously correct
// version of ConvForward.
func convReference(s ConvShape, x, w, b, y []float32) {
	for n := 0; n < s.N; n++ {
		for o := 0; o < s.OC; o++ {
			for oy := 0; oy < s.OH; oy++ {
				for ox := 0; ox < s.OW; ox++ {
					var sum float64
					if b != nil {
						sum = float64(b[o])
					}
					for c := 0; c < s.C; c++ {
						for ky := 0; ky < s.KH; ky++ {
							for kx := 0; kx < s.KW; kx++ {
								iy, ix := oy*s.Stride-s.Pad+ky, ox*s.Stride-s.Pad+kx
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								sum += float64(x[((n*s.C+c)*s.H+iy)*s.W+ix]) *
									float64(w[((o*s.C+c)*s.KH+ky)*s.KW+kx])
							}
						}
					}
					y[((n*s.OC+o)*s.OH+oy)*s.OW+ox] = float32(sum)
				}
			}
		}
	}
}

// convBackwardReference accumulates the gradients of convReference directly.
func convBackwardReference(s ConvShape, x, w, dy, dx, dw, db []float32) {
	for n := 0; n < s.N; n++ {
		for o := 0; o < s.OC; o++ {
			for oy := 0; oy < s.OH; oy++ {
				for ox := 0; ox < s.OW; ox++ {
					g := dy[((n*s.OC+o)*s.OH+oy)*s.OW+ox]
					db[o] += g
					for c := 0; c < s.C; c++ {
						for ky := 0; ky < s.KH; ky++ {
							for kx := 0; kx < s.KW; kx++ {
								iy, ix := oy*s.Stride-s.Pad+ky, ox*s.Stride-s.Pad+kx
								if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
									continue
								}
								xi := ((n*s.C+c)*s.H+iy)*s.W + ix
								wi := ((o*s.C+c)*s.KH+ky)*s.KW + kx
								dx[xi] += g * w[wi]
								dw[wi] += g * x[xi]
							}
						}
					}
				}
			}
		}
	}
}

func random(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func assertClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	worst, at := 0.0, 0
	for i := range want {
		d := math.Abs(float64(got[i]-want[i])) / (1 + math.Abs(float64(want[i])))
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		t.Errorf("%s: element %d is %v, want %v", what, at, got[at], want[at])
	}
}

// assertCloseToScale fails unless every element of got is within tol of want
// relative to 1 + the root mean square of want: the error of a Winograd
// convolution, which sums transformed values several times larger than the
// inputs, scales with its outputs as a whole rather than element by element.
func assertCloseToScale(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	var sq, worst float64
	at := 0
	for i, w := range want {
		sq += float64(w) * float64(w)
		if d := math.Abs(float64(got[i] - w)); d > worst {
			worst, at = d, i
		}
	}
	scale := 1 + math.Sqrt(sq/float64(max(1, len(want))))
	if worst > tol*scale {
		t.Errorf("%s: element %d is %v, want %v (%.3g of the scale %.3g)", what, at, got[at],
			want[at], worst/scale, scale)
	}
}

// TestConvMatchesReference checks the CPU convolution against the direct
// loops on every matrix-multiply path this machine supports, with one and two
// threads.
func TestConvMatchesReference(t *testing.T) {
	shapes := []ConvShape{
		NewConvShape(3, 3, 8, 8, 5, 3, 3, 1, 1),
		NewConvShape(2, 4, 7, 9, 6, 3, 3, 2, 1),
		NewConvShape(2, 2, 5, 5, 3, 1, 1, 1, 0),
		NewConvShape(1, 3, 6, 6, 4, 5, 5, 1, 2),
		NewConvShape(4, 32, 8, 8, 64, 3, 3, 1, 1),
		NewConvShape(1, 3, 12, 12, 8, 3, 3, 1, 1),
		NewConvShape(1, 32, 32, 32, 64, 3, 3, 1, 1), // one image split across threads
		// Winograd: odd sizes (partial tiles), one image, chunks of many images
		NewConvShape(2, 16, 7, 9, 24, 3, 3, 1, 1),
		NewConvShape(1, 32, 16, 16, 64, 3, 3, 1, 1),
		NewConvShape(19, 16, 4, 4, 16, 3, 3, 1, 1),
		NewConvShape(3, 20, 5, 6, 17, 3, 3, 1, 1),
		NewConvShape(2, 16, 1, 1, 16, 3, 3, 1, 1),
		// F(4×4, 3×3): whole 4×4 tiles, chunks of several images, a partial
		// vector group, and one image split across threads
		NewConvShape(5, 16, 8, 8, 24, 3, 3, 1, 1),
		NewConvShape(3, 24, 12, 8, 16, 3, 3, 1, 1),
		NewConvShape(20, 16, 8, 8, 16, 3, 3, 1, 1),
	}
	for _, algo := range []ConvAlgorithm{ConvAuto, ConvWinograd2x2, ConvIm2col} {
		for _, path := range gemm.Paths() {
			testConvPath(t, &CPU{Algorithm: algo}, path, shapes)
		}
	}
	parallel.SetThreads(0)
}

// testConvPath runs TestConvMatchesReference's checks for one backend and
// matrix-multiply path.
func testConvPath(t *testing.T, cpu *CPU, path string, shapes []ConvShape) {
	restore, err := gemm.Use(path)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	for _, threads := range []int{1, 2} {
		parallel.SetThreads(threads)
		for i, s := range shapes {
			name := fmt.Sprintf("%s/threads%d/shape%d", path, threads, i)
			closeTo := assertClose
			if cpu.useWinograd(s) {
				tile := cpu.outputTile(s)
				name += fmt.Sprintf("/winograd%d", tile)
				if tile == 4 {
					closeTo = assertCloseToScale
				}
			}
			{
				rng := rand.New(rand.NewPCG(uint64(i), 9))
				x := random(rng, s.N*s.C*s.H*s.W)
				w := random(rng, s.OC*s.C*s.KH*s.KW)
				b := random(rng, s.OC)
				dy := random(rng, s.N*s.OC*s.OH*s.OW)

				y, want := make([]float32, len(dy)), make([]float32, len(dy))
				cpu.ConvForward(s, x, w, b, y)
				convReference(s, x, w, b, want)
				closeTo(t, name+"/forward", y, want, 1e-4)

				// gradients accumulate onto what is there
				dx, dw, db := random(rng, len(x)), random(rng, len(w)), random(rng, len(b))
				wdx, wdw, wdb := append([]float32(nil), dx...), append([]float32(nil), dw...),
					append([]float32(nil), db...)
				cpu.ConvBackward(s, x, w, dy, dx, dw, db)
				convBackwardReference(s, x, w, dy, wdx, wdw, wdb)
				closeTo(t, name+"/dx", dx, wdx, 1e-4)
				closeTo(t, name+"/dw", dw, wdw, 1e-4)
				assertClose(t, name+"/db", db, wdb, 1e-4)
			}
		}
	}
}

// TestWinogradChoice checks which convolutions ConvAuto computes with Winograd.
func TestWinogradChoice(t *testing.T) {
	auto, im2col := &CPU{}, &CPU{Algorithm: ConvIm2col}
	for _, c := range []struct {
		s    ConvShape
		want bool
	}{
		{NewConvShape(128, 32, 16, 16, 64, 3, 3, 1, 1), true},
		{NewConvShape(1, 64, 8, 8, 128, 3, 3, 1, 1), true},
		{NewConvShape(128, 3, 32, 32, 32, 3, 3, 1, 1), false}, // too few channels in
		{NewConvShape(1, 32, 16, 16, 64, 3, 3, 2, 1), false},  // strided
		{NewConvShape(1, 32, 16, 16, 64, 3, 3, 1, 0), false},  // no padding
		{NewConvShape(1, 32, 16, 16, 64, 5, 5, 1, 2), false},  // 5×5
	} {
		if got := auto.useWinograd(c.s); got != c.want {
			t.Errorf("useWinograd(%+v) = %v, want %v", c.s, got, c.want)
		}
		if im2col.useWinograd(c.s) {
			t.Errorf("ConvIm2col chose Winograd for %+v", c.s)
		}
	}
}

// TestWinogradTileChoice checks which Winograd convolutions ConvAuto computes
// with F(4×4, 3×3): whole 4×4 tiles, at least 16 of them in a chunk.
func TestWinogradTileChoice(t *testing.T) {
	auto, two := &CPU{}, &CPU{Algorithm: ConvWinograd2x2}
	for _, c := range []struct {
		s    ConvShape
		want int
	}{
		{NewConvShape(128, 32, 16, 16, 64, 3, 3, 1, 1), 4},
		{NewConvShape(1, 32, 16, 16, 64, 3, 3, 1, 1), 4}, // 16 tiles in one image
		{NewConvShape(1, 64, 8, 8, 128, 3, 3, 1, 1), 2},  // 4 tiles in one image
		{NewConvShape(4, 64, 8, 8, 128, 3, 3, 1, 1), 4},  // 16 in four
		{NewConvShape(8, 16, 7, 9, 16, 3, 3, 1, 1), 2},   // partial tiles
		{NewConvShape(64, 16, 4, 4, 16, 3, 3, 1, 1), 4},  // one tile an image
		{NewConvShape(15, 16, 4, 4, 16, 3, 3, 1, 1), 2},  // too few of them
	} {
		if got := auto.outputTile(c.s); got != c.want {
			t.Errorf("outputTile(%+v) = %d, want %d", c.s, got, c.want)
		}
		if got := two.outputTile(c.s); got != 2 {
			t.Errorf("ConvWinograd2x2 chose tiles of %d for %+v", got, c.s)
		}
	}
}

func TestIm2colCol2imAdjoint(t *testing.T) {
	// <im2col(x), c> == <x, col2im(c)> for any x and c
	s := NewConvShape(1, 3, 6, 5, 1, 3, 3, 2, 1)
	rng := rand.New(rand.NewPCG(3, 3))
	x := random(rng, s.C*s.H*s.W)
	c := random(rng, s.C*s.KH*s.KW*s.OH*s.OW)
	col := make([]float32, len(c))
	Im2col(s, x, col)
	back := make([]float32, len(x))
	Col2im(s, c, back)
	var lhs, rhs float64
	for i := range c {
		lhs += float64(col[i]) * float64(c[i])
	}
	for i := range x {
		rhs += float64(x[i]) * float64(back[i])
	}
	if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
		t.Fatalf("<im2col x, c> = %v but <x, col2im c> = %v", lhs, rhs)
	}
}

// TestMatMulAllForms checks every transpose combination, with beta, against
// plain loops, including the few-row forms computed by dot products.
func TestMatMulAllForms(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, sz := range [][3]int{{1, 40, 70}, {3, 5, 33}, {4, 9, 64}, {5, 7, 3}, {17, 33, 20}} {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				rng := rand.New(rand.NewPCG(uint64(m*n), uint64(k)))
				a, b, c0 := random(rng, m*k), random(rng, k*n), random(rng, m*n)
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				NewCPU().MatMul(tr[0], tr[1], m, n, k, a, b, 0.5, got)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var s float64
						for p := 0; p < k; p++ {
							av, bv := a[i*k+p], b[p*n+j]
							if tr[0] {
								av = a[p*m+i]
							}
							if tr[1] {
								bv = b[j*k+p]
							}
							s += float64(av) * float64(bv)
						}
						want[i*n+j] = float32(s) + 0.5*c0[i*n+j]
					}
				}
				assertClose(t, fmt.Sprintf("%dx%dx%d/%v", m, n, k, tr), got, want, 1e-5)
			}
		}
	})
}

func TestMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	a, b := random(rng, 5*7), random(rng, 7*3)
	c := make([]float32, 15)
	NewCPU().MatMul(false, false, 5, 3, 7, a, b, 0, c)
	for i := 0; i < 5; i++ {
		for j := 0; j < 3; j++ {
			var s float64
			for k := 0; k < 7; k++ {
				s += float64(a[i*7+k]) * float64(b[k*3+j])
			}
			if math.Abs(s-float64(c[i*3+j])) > 1e-5 {
				t.Fatalf("c[%d,%d] = %v, want %v", i, j, c[i*3+j], s)
			}
		}
	}
}

// TestWinogradPlanFollowsWeights checks that a kept Winograd plan is reused
// only while the weights are unchanged: changing them in place, as an
// optimizer step does, changes the result, and concurrent calls agree.
func TestWinogradPlanFollowsWeights(t *testing.T) {
	s := NewConvShape(2, 16, 6, 6, 16, 3, 3, 1, 1)
	cpu := &CPU{}
	rng := rand.New(rand.NewPCG(7, 7))
	x, w := random(rng, s.N*s.C*s.H*s.W), random(rng, s.OC*s.C*9)
	y, want := make([]float32, s.N*s.OC*s.OH*s.OW), make([]float32, s.N*s.OC*s.OH*s.OW)
	for step := 0; step < 3; step++ {
		cpu.ConvForward(s, x, w, nil, y)
		convReference(s, x, w, nil, want)
		assertClose(t, fmt.Sprintf("step %d", step), y, want, 1e-4)
		cpu.ConvForward(s, x, w, nil, y) // the kept plan
		assertClose(t, fmt.Sprintf("step %d again", step), y, want, 1e-4)
		w[step*37] += 1 // one weight changes in place
	}

	convReference(s, x, w, nil, want)
	done := make(chan []float32)
	for g := 0; g < 4; g++ {
		go func() {
			out := make([]float32, len(want))
			cpu.ConvForward(s, x, w, nil, out)
			done <- out
		}()
	}
	for g := 0; g < 4; g++ {
		assertClose(t, "concurrent", <-done, want, 1e-4)
	}
}
