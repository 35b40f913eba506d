package gemm

import "testing"

// BenchmarkMicroKernel times each supported micro-kernel alone on panels that
// stay in the L1 cache (kc = 128): the ceiling the blocked Sgemm can approach
// on one core.
func BenchmarkMicroKernel(b *testing.B) {
	for _, kern := range kernels {
		b.Run(kern.path, func(b *testing.B) {
			const kc = 128
			a := make([]float32, kern.mr*kc)
			bp := make([]float32, kern.nr*kc)
			c := make([]float32, kern.mr*kern.nr)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				kern.fn(kc, &a[0], &bp[0], &c[0], kern.nr, 1, 1)
			}
			flops := 2 * float64(kern.mr*kern.nr*kc) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
