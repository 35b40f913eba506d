package train

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/nn"
	"github.com/kestrel-ml/kestrel/optim"
)

// StateFile holds everything needed to resume a run after its last completed
// epoch: model, optimizer moments, schedule, random-number states and progress.
const StateFile = "state.safetensors"

// progress is the JSON metadata of a state file.
type progress struct {
	Config          Config   `json:"config"`
	Epoch           int      `json:"epoch"`
	BestEpoch       int      `json:"best_epoch"`
	BestValAccuracy float64  `json:"best_val_accuracy"`
	TrainImages     int      `json:"train_images"`
	TrainSeconds    float64  `json:"train_seconds"`
	WallSeconds     float64  `json:"wall_seconds"`
	OptimizerSteps  []int64  `json:"optimizer_steps,omitempty"`
	RandomStates    []string `json:"random_states"`
}

// optimizerTensors returns the optimizer's per-parameter state as named
// tensors: Adam's moments or SGD's momentum buffers.
func optimizerTensors(opt optim.Optimizer, names []string) []checkpoint.Tensor {
	var ts []checkpoint.Tensor
	add := func(kind string, bufs [][]float32) {
		for i, b := range bufs {
			if b != nil {
				ts = append(ts, checkpoint.Tensor{Name: "optimizer." + kind + "." + names[i],
					Shape: []int{len(b)}, F32: b})
			}
		}
	}
	switch o := opt.(type) {
	case *optim.Adam:
		add("exp_avg", o.M)
		add("exp_avg_sq", o.V)
	case *optim.SGD:
		add("momentum_buffer", o.Buffers)
	}
	return ts
}

// saveState writes the state file of r atomically.
func (r *run) saveState(epoch int) error {
	p := progress{Config: r.cfg, Epoch: epoch, BestEpoch: r.sum.BestEpoch,
		BestValAccuracy: r.sum.BestValAccuracy, TrainImages: r.trainImages,
		TrainSeconds: r.sum.TrainSeconds, WallSeconds: r.wallSoFar()}
	if a, ok := r.opt.(*optim.Adam); ok {
		p.OptimizerSteps = a.Steps
	}
	for _, src := range nn.RandomSources(r.model) {
		b, err := src.MarshalBinary()
		if err != nil {
			return err
		}
		p.RandomStates = append(p.RandomStates, base64.StdEncoding.EncodeToString(b))
	}
	meta, _ := json.Marshal(p)
	tensors := append(checkpoint.FromModule(r.model), optimizerTensors(r.opt, r.paramNames)...)
	return checkpoint.WriteFile(filepath.Join(r.dir, StateFile), tensors,
		map[string]string{"kestrel_state": string(meta)})
}

// readProgress reads the progress metadata of dir's state file.
func readProgress(dir string) (progress, []checkpoint.Tensor, error) {
	var p progress
	path := filepath.Join(dir, StateFile)
	tensors, meta, err := checkpoint.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil, fmt.Errorf("%s holds no %s: it is not a run directory, or its first "+
			"epoch never finished (start a new run)", dir, StateFile)
	}
	if err != nil {
		return p, nil, err
	}
	if err := json.Unmarshal([]byte(meta["kestrel_state"]), &p); err != nil {
		return p, nil, fmt.Errorf("%s: unreadable progress record: %v", path, err)
	}
	return p, tensors, nil
}

// restore puts the saved state into r's model, optimizer and generators.
func (r *run) restore(p progress, tensors []checkpoint.Tensor) error {
	path := filepath.Join(r.dir, StateFile)
	var model []checkpoint.Tensor
	opt := map[string][]float32{}
	for _, t := range tensors {
		if rest, ok := strings.CutPrefix(t.Name, "optimizer."); ok {
			opt[rest] = t.F32
		} else {
			model = append(model, t)
		}
	}
	if err := checkpoint.Assign(r.model, model); err != nil {
		return fmt.Errorf("%s does not fit the model: %w", path, err)
	}

	load := func(kind string, bufs [][]float32) error {
		for i, name := range r.paramNames {
			v, ok := opt[kind+"."+name]
			if !ok {
				continue
			}
			if len(v) != len(r.params[i].Data) {
				return fmt.Errorf("%s: optimizer state %s.%s has %d values, want %d", path,
					kind, name, len(v), len(r.params[i].Data))
			}
			bufs[i] = v
		}
		return nil
	}
	switch o := r.opt.(type) {
	case *optim.Adam:
		o.M = make([][]float32, len(r.params))
		o.V = make([][]float32, len(r.params))
		if err := load("exp_avg", o.M); err != nil {
			return err
		}
		if err := load("exp_avg_sq", o.V); err != nil {
			return err
		}
		o.Steps = p.OptimizerSteps
		for i := range o.M {
			if o.M[i] == nil || o.V[i] == nil || len(o.Steps) != len(o.M) {
				return fmt.Errorf("%s: Adam state for %s is missing", path, r.paramNames[i])
			}
		}
	case *optim.SGD:
		o.Buffers = make([][]float32, len(r.params))
		if err := load("momentum_buffer", o.Buffers); err != nil {
			return err
		}
	}

	srcs := nn.RandomSources(r.model)
	if len(srcs) != len(p.RandomStates) {
		return fmt.Errorf("%s: %d random states for %d generators", path, len(p.RandomStates),
			len(srcs))
	}
	for i, s := range p.RandomStates {
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			err = srcs[i].UnmarshalBinary(b)
		}
		if err != nil {
			return fmt.Errorf("%s: random state %d: %v", path, i, err)
		}
	}

	for e := 0; e < p.Epoch; e++ {
		r.sched.Step()
	}
	r.sum.BestEpoch, r.sum.BestValAccuracy = p.BestEpoch, p.BestValAccuracy
	r.sum.TrainSeconds, r.trainImages = p.TrainSeconds, p.TrainImages
	r.priorWall = p.WallSeconds

	best, _, err := checkpoint.ReadFile(filepath.Join(r.dir, BestFile))
	if err != nil {
		return err
	}
	r.best = best
	return nil
}

// keepMetrics cuts metrics.jsonl down to its first n lines: an epoch that ended
// after the last saved state is run again.
func keepMetrics(path string, n int) ([]EpochStats, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot resume: %w", err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	if len(lines) < n || (len(lines) == n && !strings.HasSuffix(lines[n-1], "\n")) {
		return nil, fmt.Errorf("cannot resume: %s has fewer than the %d epochs of the saved "+
			"state", path, n)
	}
	var kept []EpochStats
	for _, l := range lines[:n] {
		var e EpochStats
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return nil, fmt.Errorf("cannot resume: %s: %v", path, err)
		}
		kept = append(kept, e)
	}
	return kept, checkpoint.WriteAtomic(path, []byte(strings.Join(lines[:n], "")))
}
