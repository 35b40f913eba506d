package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kestrel-ml/kestrel/internal/sysinfo"
)

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kestrel info", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	h := sysinfo.Describe()
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(h)
	}
	fmt.Fprintf(stdout, "kestrel   %s\ngo        %s %s\ncpu       %s\n"+
		"cores     %d (using %d threads)\n"+
		"features  %s\nkernel    %s (available: %s; set KESTREL_KERNEL to force one)\n"+
		"conv      %s (KESTREL_CONV=winograd2x2 or im2col forces one)\n",
		h.Kestrel, h.Go, h.OS, h.CPU, h.Cores, h.Threads, strings.Join(h.Features, " "),
		h.Kernel, strings.Join(h.KernelPaths, ", "), h.Convolution)
	return nil
}
