//go:build amd64 && !purego

package kernels

// haveVecAsm reports whether the AVX-512 and AVX2 vector loops are built in.
const haveVecAsm = true
