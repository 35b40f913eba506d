package kernels

import (
	"fmt"
	"math"
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

// assertSameBits fails unless got holds exactly the float32 bit patterns of
// want, so that it tells -0 from +0 and one NaN from another.
func assertSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if g, w := math.Float32bits(got[i]), math.Float32bits(want[i]); g != w {
			t.Errorf("%s: element %d is %v (%#08x), want %v (%#08x)",
				what, i, got[i], g, want[i], w)
			return
		}
	}
}

// TestVectorLoopsFollowPath checks that each matrix-multiply path selects its
// own vector loops, so that the tests run on every path reach them, and that
// they are given whole steps of registers, the Go loops the rest.
func TestVectorLoopsFollowPath(t *testing.T) {
	paths := map[string]simd{"avx512": simdAVX512, "avx2": simdAVX2, "generic": noSIMD}
	forEachPath(t, func(t *testing.T) {
		want, ok := paths[gemm.Kernel()]
		if !ok {
			t.Fatalf("unknown path %q", gemm.Kernel())
		}
		if !haveVecAsm {
			want = noSIMD
		}
		if got := vector(); got != want {
			t.Fatalf("vector() = %d, want %d", got, want)
		}
		lanes := want.lanes()
		for _, c := range []struct{ n, step, want int }{
			{0, oneRegister, 0}, {lanes - 1, oneRegister, 0}, {lanes, oneRegister, lanes},
			{3*lanes + 5, oneRegister, 3 * lanes},
			{15, sumStep, 0}, {16, sumStep, 16}, {47, sumStep, 32},
			{31, dotStep, 0}, {32, dotStep, 32}, {95, dotStep, 64},
		} {
			if want == noSIMD {
				c.want = 0
			}
			isa, got := vectorPart(c.n, c.step)
			if wantISA := map[bool]simd{true: want, false: noSIMD}[c.want > 0]; isa != wantISA {
				t.Errorf("vectorPart(%d, %d) uses %d, want %d", c.n, c.step, isa, wantISA)
			}
			if got != c.want {
				t.Errorf("vectorPart(%d, %d) takes %d elements, want %d", c.n, c.step, got, c.want)
			}
		}
	})
}

// TestVectorLoopsMatchGo checks every element-wise loop against its Go
// reference on lengths around the AVX2 and AVX-512 steps, with a negative
// zero, on every path: exactly where the Go loop is exact, within rounding
// where the vector loop fuses a multiply-add or sums in another order.
func TestVectorLoopsMatchGo(t *testing.T) {
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64, 100, 1024, 1031}
	forEachPath(t, func(t *testing.T) {
		for _, n := range lengths {
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
			assertSameBits(t, name+"/relu", got, want)

			g0 := random(rng, n)
			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			ReluBackward(got, dy, y)
			reluBackwardGo(want, dy, y)
			assertSameBits(t, name+"/reluBackward", got, want)

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
			assertSameBits(t, name+"/add", got, want)

			assertClose(t, name+"/sum", []float32{Sum(x)}, []float32{sumGo(x)}, 1e-5)
			assertClose(t, name+"/dot", []float32{Dot(x, dy)}, []float32{dotGo(x, dy)}, 1e-5)

			// four rows a little apart, so that each is read from its own place
			ldb := n + 3
			rows := random(rng, 3*ldb+n)
			got4 := Dot4(x, rows, ldb)
			var want4 [4]float32
			for r := range want4 {
				want4[r] = dotGo(x, rows[r*ldb:][:n])
			}
			assertClose(t, name+"/dot4", got4[:], want4[:], 1e-5)

			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			AddScalar(got, 0.375)
			for i := range want {
				want[i] += 0.375
			}
			assertSameBits(t, name+"/addScalar", got, want)
		}
	})
}

// specials returns n floats cycling through zeros of both signs, infinities,
// quiet and signalling NaNs with payloads, subnormals and ordinary values,
// starting at the k-th.
func specials(n, k int) []float32 {
	bits := []uint32{
		0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001,
		0x7fc12345, 0x7f800001, 0xff812345, 0x00000001, 0x80000001, 0x007fffff,
		0x7f7fffff, 0xff7fffff, 0x3f800000, 0xbf800000, 0x3ec00000, 0xbec00000,
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(bits[(i+k)%len(bits)])
	}
	return v
}

// TestExactVectorLoopsKeepBits checks the loops that are exact in Go on zeros,
// infinities, NaNs and subnormals: they must give the Go loops' bits, NaN
// payloads included, on every path.
func TestExactVectorLoopsKeepBits(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{7, 8, 17, 40, 67} {
			name := fmt.Sprintf("n%d", n)
			x, dy := specials(n, 0), specials(n, 5)
			rng := rand.New(rand.NewPCG(uint64(n), 2))
			g0 := random(rng, n)
			y := make([]float32, n)
			for i := range y {
				if i%3 != 0 {
					y[i] = specials(1, i)[0]
				}
			}
			// Where y is +0, reluBackwardGo adds +0 to grad, which turns a -0
			// into +0 and quiets a signalling NaN; the AVX-512 loop leaves grad
			// as it is there, the others must match Go.
			if vector() != simdAVX512 {
				g0[0], g0[3] = float32(negZero()), math.Float32frombits(0x7f800003)
			}

			got, want := make([]float32, n), make([]float32, n)
			Relu(got, x)
			reluGo(want, x)
			assertSameBits(t, name+"/relu", got, want)

			got, want = append([]float32(nil), g0...), append([]float32(nil), g0...)
			ReluBackward(got, dy, y)
			reluBackwardGo(want, dy, y)
			assertSameBits(t, name+"/reluBackward", got, want)

			got, want = append([]float32(nil), x...), append([]float32(nil), x...)
			Add(got, dy)
			for i, v := range dy {
				want[i] += v
			}
			assertSameBits(t, name+"/add", got, want)

			got, want = append([]float32(nil), x...), append([]float32(nil), x...)
			AddScalar(got, -0.375)
			for i := range want {
				want[i] += -0.375
			}
			assertSameBits(t, name+"/addScalar", got, want)
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

// maxPoolSizes are plane widths and heights that take the vector loops
// (widths 8 and multiples of 16) and ones that do not, with odd heights that
// leave a row out and heights of one or two rows.
var maxPoolSizes = [][2]int{
	{32, 32}, {16, 16}, {8, 8}, {8, 6}, {8, 7}, {8, 2}, {8, 1}, {8, 3}, {8, 5}, {8, 33},
	{48, 6}, {7, 5}, {16, 3}, {16, 1}, {16, 2}, {64, 9}, {128, 4}, {24, 4}, {9, 9}, {10, 4},
}

// testMaxPool runs MaxPool2x2 on src (a plane of each of maxPoolSizes) on
// every path and compares its maxima and indices with those ref gives, bit for
// bit.
func testMaxPool(t *testing.T, fill func(rng *rand.Rand, src []float32),
	ref func(dst []float32, idx []int32, src []float32, w, oh, ow int)) {
	forEachPath(t, func(t *testing.T) {
		for _, sz := range maxPoolSizes {
			w, h := sz[0], sz[1]
			oh, ow := h/2, w/2
			rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
			src := make([]float32, w*h)
			fill(rng, src)
			got, want := make([]float32, oh*ow), make([]float32, oh*ow)
			gi, wi := make([]int32, oh*ow), make([]int32, oh*ow)
			MaxPool2x2(got, gi, src, w, oh, ow)
			ref(want, wi, src, w, oh, ow)
			name := fmt.Sprintf("%dx%d", w, h)
			assertSameBits(t, name+"/values", got, want)
			for i := range wi {
				if gi[i] != wi[i] {
					t.Fatalf("%s: window %d: index %d, want %d", name, i, gi[i], wi[i])
				}
			}
		}
	})
}

// TestMaxPool2x2MatchesReference checks max-pooling against PyTorch's
// definition on random planes with ties, and on planes of -1, -0, +0 and 1
// alone, where most windows hold several maxima and the first must win (its
// sign tells a zero apart).
func TestMaxPool2x2MatchesReference(t *testing.T) {
	t.Run("random", func(t *testing.T) {
		testMaxPool(t, func(rng *rand.Rand, src []float32) {
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			for i := range src {
				if rng.IntN(4) == 0 {
					src[i] = src[(i+1)%len(src)] // ties
				}
			}
		}, maxPoolReference)
	})
	t.Run("ties", func(t *testing.T) {
		testMaxPool(t, func(rng *rand.Rand, src []float32) {
			values := []float32{-1, float32(negZero()), 0, 1}
			for i := range src {
				src[i] = values[rng.IntN(len(values))]
			}
		}, maxPoolReference)
	})
}

// TestMaxPool2x2MatchesGoOnNaNs checks max-pooling against maxPool2x2Go, bit
// for bit, on planes with NaNs, infinities and zeros of both signs, where
// PyTorch's definition and the Go loop's pairwise comparisons part ways.
func TestMaxPool2x2MatchesGoOnNaNs(t *testing.T) {
	testMaxPool(t, func(rng *rand.Rand, src []float32) {
		for i := range src {
			src[i] = specials(1, rng.IntN(18))[0]
		}
	}, maxPool2x2Go)
}
