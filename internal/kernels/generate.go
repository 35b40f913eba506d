package kernels

// The amd64 vector loops are generated with avo by the separate module in _asm.
//go:generate go -C _asm run . -out ../vec_amd64.s -stubs ../vec_amd64_stubs.go -pkg kernels
