package optim

import "math"

// StepLR multiplies the learning rate by Gamma every StepSize epochs, as
// torch.optim.lr_scheduler.StepLR stepped once per epoch: after e calls to
// Step the rate is Base·Gamma^⌊e/StepSize⌋.
type StepLR struct {
	Opt      Optimizer
	Base     float64
	StepSize int
	Gamma    float64

	// Epoch counts the calls to Step.
	Epoch int
}

// NewStepLR returns a schedule starting from opt's current learning rate.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *StepLR {
	return &StepLR{Opt: opt, Base: opt.LR(), StepSize: stepSize, Gamma: gamma}
}

// Step ends an epoch and sets the optimizer's learning rate for the next one.
func (s *StepLR) Step() {
	s.Epoch++
	s.Opt.SetLR(s.At(s.Epoch))
}

// At returns the learning rate after epoch epochs.
func (s *StepLR) At(epoch int) float64 {
	return s.Base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
}
