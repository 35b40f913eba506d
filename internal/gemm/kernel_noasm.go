//go:build !amd64 || purego

package gemm

// archKernels returns no assembly micro-kernels: only the portable Go kernel runs here.
func archKernels() []*microKernel { return nil }
