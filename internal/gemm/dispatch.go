package gemm

import (
	"fmt"
	"os"
	"sync/atomic"
)

// microKernel is one register-blocked kernel with the cache block sizes tuned for it.
type microKernel struct {
	// path is the name reported by Kernel: "avx512", "avx2" or "generic".
	path string

	// mr×nr is the C tile one call computes; A panels hold mr rows and B panels nr columns.
	mr, nr int

	// kc, mc and nc bound the k, m and n extents of one packed block (0 picks the defaults).
	kc, mc, nc int

	// fn computes acc = Apanel×Bpanel over kc steps, then C = alpha*acc + beta*C for the full
	// mr×nr tile at c with row stride ldc, not reading C when beta == 0.
	fn func(kc int, a, b, c *float32, ldc int, alpha, beta float32)

	// transpose, when set, writes dst[(8*b+i)*dstStride + j] = src[j*srcStride + 8*b+i]
	// (strides in bytes) for i, j < 8 and b < blocks, reading only rows j < rows (0 to 8) of src
	// and writing zero for the others; packing uses it for strided gathers.
	transpose func(dst *float32, dstStride int, src *float32, srcStride int, rows, blocks int)

	// interleave6, when set, writes dst[48*b + 6*i + j] = src[j*srcStride + 8*b+i] (srcStride in
	// bytes) for i < 8, j < 6 and b < blocks, reading only rows j < rows (1 to 6) of src and
	// writing zero for the others: eight steps of a six-row panel per block, and nothing past
	// the last block. Packing uses it for six-row panels of A.
	interleave6 func(dst, src *float32, srcStride, rows, blocks int)

	// copyPanel, when set, copies kc rows of nr floats, srcStride bytes apart, to consecutive
	// rows of dst; packing uses it for whole panels of contiguous steps.
	copyPanel func(dst, src *float32, srcStride, kc int)
}

// kernels lists every micro-kernel this machine can run, best first; generic is always last.
var kernels = initKernels()

// current is the micro-kernel Sgemm uses.
var current atomic.Pointer[microKernel]

func init() {
	current.Store(choose(os.Getenv("KESTREL_KERNEL")))
}

// initKernels collects the supported micro-kernels and fills in default block sizes.
func initKernels() []*microKernel {
	ks := append(archKernels(), &microKernel{path: "generic", mr: 4, nr: 4, fn: kernelGeneric4x4})
	for _, k := range ks {
		if k.kc == 0 {
			k.kc = 256
		}
		if k.mc == 0 {
			k.mc = roundUp(192, k.mr)
		}
		if k.nc == 0 {
			k.nc = roundUp(2048, k.nr)
		}
	}
	return ks
}

// choose returns the named supported kernel, or the best supported one when name is empty,
// unknown or not supported by this CPU.
func choose(name string) *microKernel {
	for _, k := range kernels {
		if k.path == name {
			return k
		}
	}
	return kernels[0]
}

// Kernel reports which micro-kernel path Sgemm uses: "avx512", "avx2" or "generic". The default
// is the best the CPU supports; the environment variable KESTREL_KERNEL=generic|avx2|avx512
// forces a path at start-up when the CPU supports it.
func Kernel() string {
	return current.Load().path
}

// Paths lists the micro-kernel paths this CPU supports, best first; "generic" is always last.
func Paths() []string {
	paths := make([]string, len(kernels))
	for i, k := range kernels {
		paths[i] = k.path
	}
	return paths
}

// Use switches Sgemm to the named path (one of Paths) and returns a function that restores the
// previous one. It is meant for tests and benchmarks and must not race with running calls'
// expectations of Kernel. An unknown or unsupported path leaves the kernel unchanged and
// returns an error.
func Use(path string) (restore func(), err error) {
	for _, k := range kernels {
		if k.path == path {
			prev := current.Swap(k)
			return func() { current.Store(prev) }, nil
		}
	}
	return func() {}, fmt.Errorf("gemm: kernel path %q is not supported here; use one of %v",
		path, Paths())
}
