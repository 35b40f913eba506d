// Package checkpoint saves and restores model state in the safetensors format,
// with PyTorch's state_dict names, so checkpoints load in PyTorch with
// load_state_dict and PyTorch weights load in Kestrel.
//
// A safetensors file is an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and byte range, then the raw
// little-endian tensor bytes.
package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// Tensor is one named entry of a safetensors file. Exactly one of F32 and I64
// holds its values.
type Tensor struct {
	Name  string
	Shape []int
	F32   []float32
	I64   []int64
}

// DType returns the safetensors dtype name of t: "F32" or "I64".
func (t *Tensor) DType() string {
	if t.I64 != nil {
		return "I64"
	}
	return "F32"
}

func (t *Tensor) numel() int {
	if t.I64 != nil {
		return len(t.I64)
	}
	return len(t.F32)
}

type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// maxHeader bounds the JSON header, so a corrupt length cannot exhaust memory.
const maxHeader = 100 << 20

// WriteFile writes tensors and string metadata to path atomically: to a
// temporary file in the same directory, synced, then renamed over path.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var offset int64
	for i := range tensors {
		t := &tensors[i]
		n := int64(t.numel()) * 4
		if t.I64 != nil {
			n = int64(len(t.I64)) * 8
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = headerEntry{DType: t.DType(), Shape: shape,
			DataOffsets: [2]int64{offset, offset + n}}
		offset += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}

	// stream the values through a small buffer rather than building the file
	// in memory
	return writeAtomic(path, func(w *bufio.Writer) error {
		var chunk []byte
		chunk = binary.LittleEndian.AppendUint64(chunk, uint64(len(js)))
		chunk = append(chunk, js...)
		for i := range tensors {
			for _, v := range tensors[i].F32 {
				chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
				if len(chunk) >= chunkSize {
					if _, err := w.Write(chunk); err != nil {
						return err
					}
					chunk = chunk[:0]
				}
			}
			for _, v := range tensors[i].I64 {
				chunk = binary.LittleEndian.AppendUint64(chunk, uint64(v))
			}
		}
		_, err := w.Write(chunk)
		return err
	})
}

// chunkSize is how many bytes WriteFile encodes before writing them out.
const chunkSize = 1 << 16

// WriteAtomic writes data to a temporary file beside path and renames it into
// place, so readers see either the old file or the whole new one.
func WriteAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic has write fill a temporary file beside path, through a buffer,
// then syncs it and renames it into place. On any error the temporary file is
// removed and path is untouched.
func writeAtomic(path string, write func(w *bufio.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	w := bufio.NewWriterSize(f, chunkSize)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// ReadFile reads every tensor of a safetensors file, in file order, and its
// metadata. Only F32 and I64 tensors are supported.
func ReadFile(path string) ([]Tensor, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint %s is not a valid safetensors file: %s", path,
			fmt.Sprintf(format, args...))
	}
	if len(raw) < 8 {
		return nil, nil, bad("%d bytes, too short", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > maxHeader || n > uint64(len(raw)-8) {
		return nil, nil, bad("header length %d exceeds the file (truncated?)", n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		return nil, nil, bad("header: %v", err)
	}
	body := raw[8+n:]

	var meta map[string]string
	var tensors []Tensor
	var offsets []int64
	for name, msg := range header {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, bad("metadata: %v", err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, bad("entry %q: %v", name, err)
		}
		size := int64(4)
		switch e.DType {
		case "F32":
		case "I64":
			size = 8
		default:
			return nil, nil, bad("tensor %q has dtype %s; only F32 and I64 are supported",
				name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, nil, bad("tensor %q has negative shape %v", name, e.Shape)
			}
			count *= int64(d)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(body)) || hi-lo != count*size {
			return nil, nil, bad("tensor %q: byte range [%d, %d) does not fit shape %v "+
				"in %d data bytes (truncated?)",
				name, lo, hi, e.Shape, len(body))
		}
		t := Tensor{Name: name, Shape: e.Shape}
		data := body[lo:hi]
		if e.DType == "F32" {
			t.F32 = make([]float32, count)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
		} else {
			t.I64 = make([]int64, count)
			for i := range t.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
			}
		}
		tensors = append(tensors, t)
		offsets = append(offsets, lo)
	}

	// file order: by byte offset
	idx := make([]int, len(tensors))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return offsets[idx[a]] < offsets[idx[b]] })
	ordered := make([]Tensor, len(tensors))
	for i, j := range idx {
		ordered[i] = tensors[j]
	}
	return ordered, meta, nil
}
