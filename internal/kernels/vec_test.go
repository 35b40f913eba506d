package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kestrel-ml/kestrel/internal/gemm"
)

// forEachPath runs fn once per matrix-multiply path this machine supports,
// which also selects the vector or Go element-wise loops.
func forEachPath(t *testing.T, fn func(t *testing.T)) {
	for _, p := range gemm.Paths() {
		t.Run(p, func(t *testing.T) {
			restore, err := gemm.Use(p)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			fn(t)
		})
	}
}

// TestVectorLoopsMatchGo checks every element-wise loop against its Go
// reference on lengths around the vector block, with a negative zero, on
// every path.
func TestVectorLoopsMatchGo(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 15, 16, 17, 33, 64, 100, 1024} {
			name := fmt.Sprintf("n%d", n)
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			x, y, dy := random(rng, n), random(rng, n), random(rng, n)
			if n > 3 {
				x[3] = float32(negZero())
				y[2] = 0
			}
			Relu(y, y) // y is a ReLU output: zero or positive

			got, want := make([]float32, n), make([]float32, n)
			Relu(got, x)
			reluGo(want, x)
			assertClose(t, name+"/relu", got, want, 0)

			g0 := random(rng, n)
			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			ReluBackward(got, dy, y)
			reluBackwardGo(want, dy, y)
			assertClose(t, name+"/reluBackward", got, want, 0)

			Affine(got, x, 1.5, -0.25)
			for i, v := range x {
				want[i] = 1.5*v - 0.25
			}
			assertClose(t, name+"/affine", got, want, 1e-6)

			s, ss := ShiftedSums(x, 0.5)
			ws, wss := shiftedSumsGo(x, 0.5)
			assertClose(t, name+"/shiftedSums", []float32{s, ss}, []float32{ws, wss}, 1e-5)

			a, b := DotSums(dy, x, -0.3)
			wa, wb := dotSumsGo(dy, x, -0.3)
			assertClose(t, name+"/dotSums", []float32{a, b}, []float32{wa, wb}, 1e-5)

			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			BNInputGrad(got, dy, x, 0.7, 0.1, -0.2, 0.05)
			for i, v := range dy {
				want[i] += 0.7 * (v - 0.1 - (x[i]+0.2)*0.05)
			}
			assertClose(t, name+"/bnInputGrad", got, want, 1e-6)

			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			Add(got, dy)
			for i, v := range dy {
				want[i] += v
			}
			assertClose(t, name+"/add", got, want, 0)

			assertClose(t, name+"/sum", []float32{Sum(x)}, []float32{sumGo(x)}, 1e-5)
			assertClose(t, name+"/dot", []float32{Dot(x, dy)}, []float32{dotGo(x, dy)}, 1e-5)

			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			AddScalar(got, 0.375)
			for i := range want {
				want[i] += 0.375
			}
			assertClose(t, name+"/addScalar", got, want, 0)
		}
	})
}

func negZero() float64 {
	z := 0.0
	return -z
}

// maxPoolReference is 2×2 max-pooling as PyTorch defines it: the first
// maximum of each window in row-major order.
func maxPoolReference(dst []float32, idx []int32, src []float32, w, oh, ow int) {
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			at := 2*oy*w + 2*ox
			for _, j := range []int{2*oy*w + 2*ox + 1, (2*oy+1)*w + 2*ox, (2*oy+1)*w + 2*ox + 1} {
				if src[j] > src[at] {
					at = j
				}
			}
			dst[oy*ow+ox], idx[oy*ow+ox] = src[at], int32(at)
		}
	}
}

func TestMaxPool2x2MatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		// widths that take the vector loop and widths that do not; odd heights
		// leave a row out
		for _, sz := range [][2]int{{32, 32}, {16, 16}, {8, 8}, {8, 6}, {8, 7}, {8, 2}, {48, 6}, {7, 5}, {16, 3}} {
			w, h := sz[0], sz[1]
			oh, ow := h/2, w/2
			rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
			src := random(rng, w*h)
			for i := range src {
				if rng.IntN(4) == 0 {
					src[i] = src[(i+1)%len(src)] // ties
				}
			}
			got, want := make([]float32, oh*ow), make([]float32, oh*ow)
			gi, wi := make([]int32, oh*ow), make([]int32, oh*ow)
			MaxPool2x2(got, gi, src, w, oh, ow)
			maxPoolReference(want, wi, src, w, oh, ow)
			name := fmt.Sprintf("%dx%d", w, h)
			assertClose(t, name+"/values", got, want, 0)
			for i := range wi {
				if gi[i] != wi[i] {
					t.Fatalf("%s: window %d: index %d, want %d", name, i, gi[i], wi[i])
				}
			}
		}
	})
}
