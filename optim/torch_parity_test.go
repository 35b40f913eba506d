package optim_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kestrel-ml/kestrel/checkpoint"
	"github.com/kestrel-ml/kestrel/internal/torchtest"
	"github.com/kestrel-ml/kestrel/optim"
	"github.com/kestrel-ml/kestrel/tensor"
)

// optConfig is one optimizer run, described to the script as JSON.
type optConfig struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"` // "adam" or "sgd"
	Steps       int        `json:"steps"`
	LR          float64    `json:"lr"`
	Betas       [2]float64 `json:"betas"`
	Eps         float64    `json:"eps"`
	Momentum    float64    `json:"momentum"`
	Dampening   float64    `json:"dampening"`
	Nesterov    bool       `json:"nesterov"`
	WeightDecay float64    `json:"weight_decay"`
}

// newOptimizer builds the Kestrel optimizer that cfg describes.
func newOptimizer(cfg optConfig, params []*tensor.Tensor) optim.Optimizer {
	if cfg.Kind == "adam" {
		o := optim.NewAdam(params, cfg.LR)
		o.Beta1, o.Beta2, o.Eps, o.WeightDecay = cfg.Betas[0], cfg.Betas[1], cfg.Eps, cfg.WeightDecay
		return o
	}
	o := optim.NewSGD(params, cfg.LR)
	o.Momentum, o.Dampening, o.Nesterov, o.WeightDecay = cfg.Momentum, cfg.Dampening, cfg.Nesterov,
		cfg.WeightDecay
	return o
}

type stepLRConfig struct {
	LR       float64 `json:"lr"`
	StepSize int     `json:"step_size"`
	Gamma    float64 `json:"gamma"`
	Epochs   int     `json:"epochs"`
}

// TestTorchParityOptimizers runs Adam and SGD in their common settings for
// three steps, on the same parameters and the same (different each step)
// gradients as torch.optim, and StepLR over 20 epochs, and compares the
// resulting parameters and learning rates.
func TestTorchParityOptimizers(t *testing.T) {
	adam := optConfig{Kind: "adam", Steps: 3, LR: 0.01, Betas: [2]float64{0.9, 0.999}, Eps: 1e-8}
	sgd := optConfig{Kind: "sgd", Steps: 3, LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4}
	with := func(c optConfig, name string, change func(*optConfig)) optConfig {
		c.Name = name
		change(&c)
		return c
	}
	configs := []optConfig{
		with(adam, "adam", func(*optConfig) {}),
		with(adam, "adam_wd", func(c *optConfig) { c.WeightDecay = 0.01 }),
		with(adam, "adam_betas", func(c *optConfig) { c.Betas, c.Eps = [2]float64{0.8, 0.99}, 1e-3 }),
		with(sgd, "sgd_momentum", func(*optConfig) {}),
		with(sgd, "sgd_nesterov", func(c *optConfig) { c.Nesterov = true }),
		with(sgd, "sgd_dampening", func(c *optConfig) { c.Dampening, c.WeightDecay = 0.3, 0 }),
		with(sgd, "sgd_plain", func(c *optConfig) { c.Momentum, c.WeightDecay = 0, 0 }),
	}
	stepLR := stepLRConfig{LR: 0.1, StepSize: 15, Gamma: 0.1, Epochs: 20}

	// parameters of a few shapes and a gradient for each at each step
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][]int{{4, 3}, {5}, {2, 3, 2}}
	const steps = 3
	var starts []*tensor.Tensor
	var tensors []checkpoint.Tensor
	for i, s := range shapes {
		p := tensor.RandN(rng, s...)
		starts = append(starts, p)
		tensors = append(tensors, checkpoint.Tensor{Name: fmt.Sprintf("p.%d", i), Shape: s, F32: p.Data})
	}
	grads := make([][][]float32, steps)
	for s := range grads {
		for i, sh := range shapes {
			g := tensor.RandN(rng, sh...).Data
			grads[s] = append(grads[s], g)
			tensors = append(tensors, checkpoint.Tensor{Name: fmt.Sprintf("g.%d.%d", s, i), Shape: sh,
				F32: g})
		}
	}
	configsJSON, err := json.Marshal(configs)
	if err != nil {
		t.Fatal(err)
	}
	stepLRJSON, err := json.Marshal(stepLR)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	inputsPath := filepath.Join(dir, "inputs.safetensors")
	meta := map[string]string{"configs": string(configsJSON), "steplr": string(stepLRJSON)}
	if err := checkpoint.WriteFile(inputsPath, tensors, meta); err != nil {
		t.Fatal(err)
	}
	outPath := filepath.Join(dir, "torch.safetensors")
	torchtest.Run(t, filepath.Join("testdata", "torch_optim.py"), inputsPath, outPath)
	out, outMeta, err := checkpoint.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]checkpoint.Tensor{}
	for _, x := range out {
		ref[x.Name] = x
	}

	// parameters after the steps: float32 rounding of a few operations per step
	for _, cfg := range configs {
		params := make([]*tensor.Tensor, len(starts))
		for i, p := range starts {
			params[i] = p.Clone().SetRequiresGrad(true)
		}
		opt := newOptimizer(cfg, params)
		for s := 0; s < cfg.Steps; s++ {
			for i, p := range params {
				p.Grad = slices.Clone(grads[s][i])
			}
			opt.Step()
		}
		for i, p := range params {
			name := fmt.Sprintf("%s.p.%d", cfg.Name, i)
			want := ref[name]
			if !slices.Equal(want.Shape, p.Shape) {
				t.Errorf("%s: shape %v, PyTorch has %v", name, p.Shape, want.Shape)
				continue
			}
			worst := 0.0
			for j, g := range p.Data {
				w := float64(want.F32[j])
				d := math.Abs(float64(g) - w)
				worst = max(worst, d)
				if !(d <= 1e-6*max(1, math.Abs(w))) {
					t.Errorf("%s[%d] = %g, PyTorch %g (started at %g)", name, j, g, w,
						starts[i].Data[j])
				}
			}
			t.Logf("%-18s max |diff| %.3g", name, worst)
		}
	}

	// learning rate in effect in each epoch
	var wantLRs []float64
	if err := json.Unmarshal([]byte(outMeta["steplr"]), &wantLRs); err != nil {
		t.Fatalf("steplr from the script: %v", err)
	}
	if len(wantLRs) != stepLR.Epochs+1 {
		t.Fatalf("the script gave %d learning rates, want %d", len(wantLRs), stepLR.Epochs+1)
	}
	opt := optim.NewSGD(nil, stepLR.LR)
	sched := optim.NewStepLR(opt, stepLR.StepSize, stepLR.Gamma)
	for e, want := range wantLRs {
		if e > 0 {
			sched.Step()
		}
		for what, got := range map[string]float64{"LR()": opt.LR(), "At": sched.At(e)} {
			if math.Abs(got-want) > 1e-12*want {
				t.Errorf("StepLR epoch %d: %s = %.17g, PyTorch %.17g", e, what, got, want)
			}
		}
	}
	t.Logf("StepLR lrs: %v", wantLRs)
}
