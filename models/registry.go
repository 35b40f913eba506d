package models

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/kestrel-ml/kestrel/nn"
)

// Constructor builds a model whose initial weights and dropout masks follow
// from seed.
type Constructor func(seed uint64) nn.Module

var registry = map[string]Constructor{
	"simplecnn": func(seed uint64) nn.Module {
		return NewSimpleCNN(rand.New(rand.NewPCG(seed, 0x51)), seed^0xd1)
	},
}

// Names lists the models New knows, sorted.
func Names() []string {
	var names []string
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the named model from seed.
func New(name string, seed uint64) (nn.Module, error) {
	c, ok := registry[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return c(seed), nil
}
