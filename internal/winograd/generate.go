package winograd

// The amd64 transform loops are generated with avo by the separate module in _asm.
//go:generate go -C _asm run . -out ../transform_amd64.s -stubs ../transform_amd64_stubs.go -pkg winograd
