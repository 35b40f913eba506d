//go:build amd64 && !purego

package winograd

import "golang.org/x/sys/cpu"

// haveAsm reports whether the AVX transform loops are built in and the CPU
// runs them.
var haveAsm = cpu.X86.HasAVX
