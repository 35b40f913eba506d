package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestInterleaveMatchesGoLoop packs panels with every kernel's helpers and checks them bit for
// bit against the plain Go loop and against the definition (slot r of step p is row r at column
// p, zero past the valid rows), with random bit patterns (NaN payloads included) as data. The
// widths include the AVX2 and AVX-512 panel widths whatever this CPU runs, and words around the
// panel must stay untouched.
func TestInterleaveMatchesGoLoop(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, kern := range kernels {
		for _, width := range []int{4, 6, 8, 12, 16, 32} {
			for valid := 1; valid <= width; valid++ {
				for _, kc := range []int{1, 5, 7, 8, 9, 15, 16, 17, 40, 131} {
					for _, pad := range []int{0, 3} {
						ld, off := kc+pad, pad
						name := fmt.Sprintf("%s width %d valid %d kc %d ld %d", kern.path, width,
							valid, kc, ld)
						checkInterleave(t, name, kern, rng, width, valid, kc, ld, off)
					}
				}
			}
		}
	}
}

// checkInterleave runs one case of TestInterleaveMatchesGoLoop.
func checkInterleave(t *testing.T, name string, kern *microKernel, rng *rand.Rand,
	width, valid, kc, ld, off int) {
	t.Helper()
	const guard = 16
	const sentinel = 0x7fa5a5a5

	// src ends at the last element of the last valid row.
	src := make([]float32, off+(valid-1)*ld+kc)
	for i := range src {
		src[i] = math.Float32frombits(rng.Uint32())
	}
	want := make([]float32, kc*width)
	for p := 0; p < kc; p++ {
		for r := 0; r < valid; r++ {
			want[p*width+r] = src[off+r*ld+p]
		}
	}
	fill := func() []float32 {
		buf := make([]float32, guard+kc*width+guard)
		for i := range buf {
			buf[i] = math.Float32frombits(sentinel)
		}
		return buf
	}
	slow, fast := fill(), fill()
	interleaveSteps(slow[guard:guard+kc*width], width, src, off, ld, valid, 0, kc)
	interleave(kern, fast[guard:guard+kc*width:guard+kc*width], width, src, off, ld, valid, kc)
	for i := range fast {
		f, s := math.Float32bits(fast[i]), math.Float32bits(slow[i])
		w := uint32(sentinel)
		if i >= guard && i < guard+kc*width {
			w = math.Float32bits(want[i-guard])
		}
		if f != s || f != w {
			p, r := (i-guard)/width, (i-guard)%width
			t.Fatalf("%s: word %d (step %d slot %d) is %#x with helpers, %#x in Go, want %#x",
				name, i-guard, p, r, f, s, w)
		}
	}
}

// TestAVX2PacksWithHelpers checks that the AVX2 kernel, where this CPU runs it, packs its
// panels with the assembly helpers, so that TestInterleaveMatchesGoLoop tests them.
func TestAVX2PacksWithHelpers(t *testing.T) {
	for _, kern := range kernels {
		if kern.path == "avx2" && (kern.interleave6 == nil || kern.transpose == nil ||
			kern.copyPanel == nil) {
			t.Fatalf("the avx2 kernel lacks a packing helper: %+v", kern)
		}
	}
}

// benchmarkPack times packing one whole rows×k operand stored row-major with k contiguous (A
// with transA false, or B with transB true) in the k blocks Sgemm uses, on every kernel path.
func benchmarkPack(b *testing.B, rows, k int, isB bool) {
	for _, kern := range kernels {
		b.Run(kern.path, func(b *testing.B) {
			src := randMatrix(rand.New(rand.NewSource(1)), rows, k, k)
			kcStep := split(k, kern.kc, 1)
			width := kern.mr
			if isB {
				width = kern.nr
			}
			dst := make([]float32, roundUp(rows, width)*kcStep)
			b.SetBytes(int64(4 * rows * k))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for pc := 0; pc < k; pc += kcStep {
					kc := min(kcStep, k-pc)
					if isB {
						packB(kern, dst, true, src, k, pc, kc, 0, rows)
					} else {
						packA(kern, dst, false, src, k, 0, rows, pc, kc)
					}
				}
			}
		})
	}
}

// BenchmarkPackAWinograd packs the A operand of BenchmarkWinogradWeightGrad.
func BenchmarkPackAWinograd(b *testing.B) { benchmarkPack(b, 64, 8192, false) }

// BenchmarkPackBWinograd packs the transposed B operand of BenchmarkWinogradWeightGrad.
func BenchmarkPackBWinograd(b *testing.B) { benchmarkPack(b, 32, 8192, true) }

// BenchmarkPackAConv1 packs the A operand of BenchmarkConv1WeightGrad.
func BenchmarkPackAConv1(b *testing.B) { benchmarkPack(b, 32, 1024, false) }

// BenchmarkPackBConv1 packs the transposed B operand of BenchmarkConv1WeightGrad.
func BenchmarkPackBConv1(b *testing.B) { benchmarkPack(b, 27, 1024, true) }
