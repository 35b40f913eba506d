package gemm

// The amd64 micro-kernels are generated with avo by the separate module in _asm.
//go:generate go -C _asm run . -out ../kernel_amd64.s -stubs ../kernel_amd64_stubs.go -pkg gemm
