//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// archKernels returns the assembly micro-kernels this CPU can run, best first.
func archKernels() []*microKernel {
	var ks []*microKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL {
		ks = append(ks, &microKernel{path: "avx512", mr: 8, nr: 32, fn: kernelAVX512x8x32,
			transpose: transpose8x8, copyPanel: copyPanel32})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &microKernel{path: "avx2", mr: 6, nr: 16, fn: kernelAVX2x6x16,
			transpose: transpose8x8, interleave6: interleave6x8, copyPanel: copyPanel16})
	}
	return ks
}
