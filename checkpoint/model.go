package checkpoint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kestrel-ml/kestrel/nn"
)

// Save writes the state of m (parameters and buffers, by PyTorch name) and
// metadata to path atomically.
func Save(path string, m nn.Module, metadata map[string]string) error {
	return WriteFile(path, FromModule(m), metadata)
}

// FromModule returns copies of m's state as checkpoint tensors.
func FromModule(m nn.Module) []Tensor {
	var ts []Tensor
	for _, s := range m.State("") {
		if s.Count != nil {
			ts = append(ts, Tensor{Name: s.Name, Shape: []int{}, I64: []int64{*s.Count}})
			continue
		}
		ts = append(ts, Tensor{Name: s.Name, Shape: append([]int(nil), s.Tensor.Shape...),
			F32: append([]float32(nil), s.Tensor.Data...)})
	}
	return ts
}

// Load reads path into m. Every entry of m's state must be present with the
// same shape and dtype, and the file may hold nothing else; otherwise m is left
// unchanged and the error names the first mismatch. It returns the file's
// metadata.
func Load(path string, m nn.Module) (map[string]string, error) {
	tensors, meta, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := Assign(m, tensors); err != nil {
		return nil, fmt.Errorf("checkpoint %s does not fit this model: %w", path, err)
	}
	return meta, nil
}

// Assign copies tensors into m's state by name after checking that they match
// it exactly; on a mismatch m is unchanged.
func Assign(m nn.Module, tensors []Tensor) error {
	byName := map[string]*Tensor{}
	for i := range tensors {
		byName[tensors[i].Name] = &tensors[i]
	}
	state := m.State("")
	var missing []string
	for _, s := range state {
		t, ok := byName[s.Name]
		if !ok {
			missing = append(missing, s.Name)
			continue
		}
		if s.Count != nil {
			if t.I64 == nil || len(t.I64) != 1 {
				return fmt.Errorf("%s is %s%v, want an I64 scalar", s.Name, t.DType(), t.Shape)
			}
			continue
		}
		if t.F32 == nil || !slices.Equal(t.Shape, s.Tensor.Shape) {
			return fmt.Errorf("%s is %s%v, want F32%v", s.Name, t.DType(), t.Shape, s.Tensor.Shape)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if len(tensors) != len(state) {
		known := map[string]bool{}
		for _, s := range state {
			known[s.Name] = true
		}
		var extra []string
		for _, t := range tensors {
			if !known[t.Name] {
				extra = append(extra, t.Name)
			}
		}
		return fmt.Errorf("unexpected %s", strings.Join(extra, ", "))
	}

	for _, s := range state {
		t := byName[s.Name]
		if s.Count != nil {
			*s.Count = t.I64[0]
		} else {
			copy(s.Tensor.Data, t.F32)
		}
	}
	return nil
}
