// Package sysinfo describes the machine Kestrel runs on and the kernels it
// uses there.
package sysinfo

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/kestrel-ml/kestrel/internal/gemm"
	"github.com/kestrel-ml/kestrel/internal/kernels"
	"github.com/kestrel-ml/kestrel/internal/parallel"
)

// Hardware describes the machine and the kernels Kestrel uses on it.
type Hardware struct {
	Kestrel     string   `json:"kestrel"`
	Go          string   `json:"go"`
	OS          string   `json:"os"`
	CPU         string   `json:"cpu"`
	Cores       int      `json:"cores"`
	Threads     int      `json:"threads"`
	Features    []string `json:"cpu_features"`
	Kernel      string   `json:"kernel"`
	KernelPaths []string `json:"kernel_paths"`

	// Convolution says which algorithm computes which convolutions.
	Convolution string `json:"convolution,omitempty"`
}

// Describe returns the hardware description of this process.
func Describe() Hardware {
	version := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version = bi.Main.Version
	}
	var feats []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"sse4.2", cpu.X86.HasSSE42}, {"avx", cpu.X86.HasAVX}, {"avx2", cpu.X86.HasAVX2},
		{"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F},
		{"avx512dq", cpu.X86.HasAVX512DQ}, {"avx512bw", cpu.X86.HasAVX512BW},
		{"avx512vl", cpu.X86.HasAVX512VL}, {"asimd", cpu.ARM64.HasASIMD},
	} {
		if f.on {
			feats = append(feats, f.name)
		}
	}
	conv := ""
	if c, ok := kernels.Default().(*kernels.CPU); ok {
		conv = c.Convolutions()
	}
	return Hardware{
		Kestrel: version, Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		CPU: cpuModel(), Cores: runtime.NumCPU(), Threads: parallel.Threads(), Features: feats,
		Kernel: kernels.Default().Name(), KernelPaths: gemm.Paths(), Convolution: conv,
	}
}

// cpuModel reads the processor's model name where the system reports it.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	var family, model string
	name := ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if name == "" {
				name = strings.TrimSpace(v)
			}
		case "cpu family":
			family = strings.TrimSpace(v)
		case "model":
			model = strings.TrimSpace(v)
		}
	}
	if name == "" {
		name = runtime.GOARCH
	}
	if family != "" {
		name += fmt.Sprintf(" (family %s, model %s)", family, model)
	}
	return name
}
