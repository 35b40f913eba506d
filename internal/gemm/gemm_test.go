package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// shape is one product C[m×n] = op(A)[m×k] × op(B)[k×n].
type shape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// modelShapes are the SimpleCNN CIFAR-10 products: per-image im2col convolutions (forward,
// weight grad with transB, input grad with transA) and the Linear layers with [out,in] weights.
var modelShapes = []shape{
	{"conv1_fwd", 32, 1024, 27, false, false},
	{"conv1_dW", 32, 27, 1024, false, true},
	{"conv1_dX", 27, 1024, 32, true, false},
	{"conv2_fwd", 64, 256, 288, false, false},
	{"conv2_dW", 64, 288, 256, false, true},
	{"conv2_dX", 288, 256, 64, true, false},
	{"conv3_fwd", 128, 64, 576, false, false},
	{"conv3_dW", 128, 576, 64, false, true},
	{"conv3_dX", 576, 64, 128, true, false},
	{"fc1_fwd", 128, 256, 2048, false, true},
	{"fc1_dW", 256, 2048, 128, true, false},
	{"fc1_dX", 128, 2048, 256, false, false},
	{"fc2_fwd", 128, 10, 256, false, true},
	{"fc2_dW", 10, 256, 128, true, false},
	{"fc2_dX", 128, 256, 10, false, false},
}

// operands holds random inputs for one product with padded leading dimensions.
type operands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

// newOperands fills op(A), op(B) and C with values in [-1, 1); pad widens every leading
// dimension, and the padding holds NaN so reading it would show up in C.
func newOperands(rng *rand.Rand, s shape, pad int) operands {
	aRows, aCols := s.m, s.k
	if s.transA {
		aRows, aCols = s.k, s.m
	}
	bRows, bCols := s.k, s.n
	if s.transB {
		bRows, bCols = s.n, s.k
	}
	o := operands{lda: aCols + pad, ldb: bCols + pad, ldc: s.n + pad}
	o.a = randMatrix(rng, aRows, aCols, o.lda)
	o.b = randMatrix(rng, bRows, bCols, o.ldb)
	o.c = randMatrix(rng, s.m, s.n, o.ldc)
	return o
}

// randMatrix returns a rows×cols matrix with leading dimension ld, NaN in the padding.
func randMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	m := make([]float32, max(rows*ld, 1))
	for i := range m {
		m[i] = float32(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			m[i*ld+j] = rng.Float32()*2 - 1
		}
	}
	return m
}

// gemmFunc is Sgemm or a bound SgemmParallel.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int)

// variant is one choice of scalars; nanC fills the m×n block of C with NaN first.
type variant struct {
	alpha, beta float32
	nanC        bool
}

// variants are the scalar choices of the small shapes; the model shapes run the first two.
var variants = []variant{
	{1, 0, true}, {0.75, 0.5, false}, {1, 1, false}, {-2, 0, false}, {0, 0.5, false},
	{0, 0, true},
}

// runner is one way of calling the package under test.
type runner struct {
	name string
	f    func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
}

// parallel returns a runner calling SgemmParallel with the given thread count.
func parallel(threads int) runner {
	return runner{fmt.Sprintf("SgemmParallel(%d)", threads), func(transA, transB bool,
		m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32,
		c []float32, ldc int) {
		SgemmParallel(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}}
}

// runners are Sgemm and SgemmParallel with 1, 2 and 3 threads.
var runners = []runner{{"Sgemm", Sgemm}, parallel(1), parallel(2), parallel(3)}

// checkC fails on any element of the m×n block whose difference from want exceeds a bound
// scaled by k, and on any change outside that block.
func checkC(t *testing.T, what string, s shape, v variant, o operands, want, got []float32) {
	t.Helper()

	// entries are in [-1,1), so |alpha*sum| <= |alpha|*k and |beta*c| <= |beta|.
	tol := 1e-6*float64(s.k)*math.Abs(float64(v.alpha)) + 1e-6*math.Abs(float64(v.beta)) + 1e-7
	for idx := range want {
		i, j := idx/o.ldc, idx%o.ldc
		if i >= s.m || j >= s.n {
			if math.Float32bits(want[idx]) != math.Float32bits(got[idx]) {
				t.Fatalf("%s %s %+v: C[%d][%d] outside the product changed", what, s.name, v, i, j)
			}
			continue
		}
		w, g := float64(want[idx]), float64(got[idx])
		if math.IsNaN(g) || math.Abs(w-g) > tol {
			t.Fatalf("%s %s %+v ldc=%d: C[%d][%d] = %v, want %v (tol %.2g)",
				what, s.name, v, o.ldc, i, j, g, w, tol)
		}
	}
}

// testShapes are the model shapes, the model shapes with the other transpose combinations
// (the large Linear ones cut down in k), and tiny and odd shapes in all four combinations.
func testShapes() []shape {
	shapes := append([]shape(nil), modelShapes...)
	for _, s := range modelShapes {
		if s.m*s.n*s.k > 1<<22 {
			s.k = min(s.k, 100)
			s.n = min(s.n, 300)
		}
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				if ta != s.transA || tb != s.transB {
					shapes = append(shapes, shape{fmt.Sprintf("%s_%dx%dx%d_%t_%t", s.name,
						s.m, s.n, s.k, ta, tb), s.m, s.n, s.k, ta, tb})
				}
			}
		}
	}
	dims := [][3]int{
		{1, 1, 1}, {3, 5, 7}, {1, 40, 3}, {37, 1, 5}, {7, 33, 1}, {9, 17, 300},
		{13, 65, 29}, {25, 31, 600}, {100, 70, 10}, {8, 32, 64}, {12, 48, 257},
		{6, 16, 513}, {2, 2, 2}, {16, 64, 1}, {24, 96, 3},
	}
	for _, d := range dims {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d_%t_%t", d[0], d[1], d[2], ta, tb)
				shapes = append(shapes, shape{name, d[0], d[1], d[2], ta, tb})
			}
		}
	}
	return shapes
}

// TestMatchesReference checks every kernel path and runner against Reference on every test
// shape, with padded leading dimensions on some of them.
func TestMatchesReference(t *testing.T) {
	for si, s := range testShapes() {
		vs := variants
		if si < len(modelShapes)*4 {
			vs = variants[:2]
		}
		for vi, v := range vs {
			rng := rand.New(rand.NewSource(int64(si*100 + vi)))
			o := newOperands(rng, s, (si+vi)%3*3)
			if v.nanC {
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						o.c[i*o.ldc+j] = float32(math.NaN())
					}
				}
			}
			checkAllPaths(t, s, v, o, runners)
		}
	}
}

// checkAllPaths checks the product s with scalars v on operands o against Reference, with each
// of rs on every kernel path.
func checkAllPaths(t *testing.T, s shape, v variant, o operands, rs []runner) {
	t.Helper()
	want := append([]float32(nil), o.c...)
	Reference(s.transA, s.transB, s.m, s.n, s.k, v.alpha, o.a, o.lda, o.b, o.ldb, v.beta,
		want, o.ldc)
	for _, p := range Paths() {
		restore, err := Use(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got := append([]float32(nil), o.c...)
			r.f(s.transA, s.transB, s.m, s.n, s.k, v.alpha, o.a, o.lda, o.b, o.ldb, v.beta, got,
				o.ldc)
			checkC(t, p+" "+r.name, s, v, o, want, got)
		}
		restore()
	}
}

// TestPanelEdgesMatchReference checks every path against Reference where packing changes course:
// every count of valid rows in the last A and B panels (m and n up to past two panels of the
// widest kernel), k below, at and just past a multiple of 8 and across k blocks, leading
// dimensions wider than the rows (their padding is NaN), and all four transpose combinations.
func TestPanelEdgesMatchReference(t *testing.T) {
	ms := []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 17, 64}
	ns := []int{1, 5, 16, 27, 33}
	ks := []int{1, 7, 8, 9, 23, 264}
	i := 0
	for _, m := range ms {
		for _, n := range ns {
			for _, k := range ks {
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						s := shape{fmt.Sprintf("%dx%dx%d_%t_%t", m, n, k, ta, tb), m, n, k, ta, tb}
						v := variants[i%2]
						o := newOperands(rand.New(rand.NewSource(int64(i))), s, i%3*2)
						checkAllPaths(t, s, v, o, runners[:1])
						i++
					}
				}
			}
		}
	}
}

// TestLongKMatchesReference checks every path against Reference on products with thousands of
// k steps and A row-major, as in convolution weight gradients, with and without padded rows.
func TestLongKMatchesReference(t *testing.T) {
	for i, s := range []shape{
		{"winograd_dW", 64, 32, 8192, false, true},
		{"conv1_dW", 32, 27, 1024, false, true},
		{"odd", 19, 21, 3001, false, false},
		{"odd_transA", 19, 21, 3001, true, true},
	} {
		o := newOperands(rand.New(rand.NewSource(int64(i))), s, i%2*5)
		checkAllPaths(t, s, variants[i%2], o, []runner{runners[0], parallel(2)})
	}
}

func TestKAndSizeZero(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		// k == 0 leaves beta*C; beta == 0 clears even NaN.
		c := []float32{1, 2, float32(math.NaN()), 4}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c[:4], 2)
		if c[0] != 0.5 || c[1] != 1 || c[3] != 2 {
			t.Fatalf("k=0 beta=0.5 gave %v", c)
		}
		Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
		for _, v := range c {
			if v != 0 {
				t.Fatalf("k=0 beta=0 gave %v, want zeros", c)
			}
		}

		// m == 0 or n == 0 touches nothing.
		Sgemm(false, false, 0, 3, 2, 1, nil, 2, make([]float32, 6), 3, 0, nil, 3)
		Sgemm(false, false, 3, 0, 2, 1, make([]float32, 6), 2, nil, 1, 0, nil, 1)
	})
}

func TestBadSizesPanic(t *testing.T) {
	cases := []struct {
		name string
		call func()
	}{
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0,
				make([]float32, 4), 2)
		}},
		{"small ldb", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 1, 0,
				make([]float32, 4), 2)
		}},
		{"short C", func() {
			SgemmParallel(2, false, true, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4),
				2, 0, make([]float32, 3), 2)
		}},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.call()
		}()
	}
}

func TestUseRejectsUnknownPath(t *testing.T) {
	before := Kernel()
	if _, err := Use("sse9"); err == nil {
		t.Fatal("Use(\"sse9\") returned no error")
	}
	if Kernel() != before {
		t.Fatalf("Kernel() changed to %q after a rejected Use", Kernel())
	}
	if p := Paths(); p[len(p)-1] != "generic" {
		t.Fatalf("Paths() = %v, want generic last", p)
	}
}

func TestChooseFollowsEnvironmentNames(t *testing.T) {
	// KESTREL_KERNEL names are honoured when supported, else the best path is used.
	for _, p := range Paths() {
		if got := choose(p).path; got != p {
			t.Errorf("choose(%q) = %q", p, got)
		}
	}
	for _, name := range []string{"", "sse9", "AVX2"} {
		if got := choose(name).path; got != Paths()[0] {
			t.Errorf("choose(%q) = %q, want the best path %q", name, got, Paths()[0])
		}
	}
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		s := shape{"odd", 37, 45, 300, true, true}
		o := newOperands(rand.New(rand.NewSource(1)), s, 0)
		allocs := testing.AllocsPerRun(20, func() {
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		})
		if allocs > 0 {
			t.Fatalf("Sgemm allocates %v times per call", allocs)
		}
	})
}

// benchmarkShape times Sgemm on s with every supported path and reports GFLOP/s.
func benchmarkShape(b *testing.B, s shape) {
	for _, p := range Paths() {
		b.Run(p, func(b *testing.B) {
			restore, err := Use(p)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			o := newOperands(rand.New(rand.NewSource(1)), s, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			}
			flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkConv1Forward(b *testing.B)    { benchmarkShape(b, modelShapes[0]) }
func BenchmarkConv1WeightGrad(b *testing.B) { benchmarkShape(b, modelShapes[1]) }
func BenchmarkConv1InputGrad(b *testing.B)  { benchmarkShape(b, modelShapes[2]) }
func BenchmarkConv2Forward(b *testing.B)    { benchmarkShape(b, modelShapes[3]) }
func BenchmarkConv2WeightGrad(b *testing.B) { benchmarkShape(b, modelShapes[4]) }
func BenchmarkConv2InputGrad(b *testing.B)  { benchmarkShape(b, modelShapes[5]) }
func BenchmarkConv3Forward(b *testing.B)    { benchmarkShape(b, modelShapes[6]) }
func BenchmarkConv3WeightGrad(b *testing.B) { benchmarkShape(b, modelShapes[7]) }
func BenchmarkConv3InputGrad(b *testing.B)  { benchmarkShape(b, modelShapes[8]) }
func BenchmarkFC1Forward(b *testing.B)      { benchmarkShape(b, modelShapes[9]) }
func BenchmarkFC1WeightGrad(b *testing.B)   { benchmarkShape(b, modelShapes[10]) }
func BenchmarkFC1InputGrad(b *testing.B)    { benchmarkShape(b, modelShapes[11]) }
func BenchmarkFC2Forward(b *testing.B)      { benchmarkShape(b, modelShapes[12]) }
func BenchmarkFC2WeightGrad(b *testing.B)   { benchmarkShape(b, modelShapes[13]) }
func BenchmarkFC2InputGrad(b *testing.B)    { benchmarkShape(b, modelShapes[14]) }

// BenchmarkWinogradWeightGrad times the shape of one Winograd weight-gradient product: dM·Vᵀ
// with A row-major and B transposed, both with a long k.
func BenchmarkWinogradWeightGrad(b *testing.B) {
	benchmarkShape(b, shape{"winograd_dW", 64, 32, 8192, false, true})
}

// forEachPath runs fn once per supported kernel path with that path selected.
func forEachPath(t *testing.T, fn func(t *testing.T)) {
	for _, p := range Paths() {
		t.Run(p, func(t *testing.T) {
			restore, err := Use(p)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			if Kernel() != p {
				t.Fatalf("Kernel() = %q after Use(%q)", Kernel(), p)
			}
			fn(t)
		})
	}
}
