package main

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/kestrel-ml/kestrel/train"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// epochBar draws a progress bar for the epoch in progress: steps done,
// images/s, running loss and accuracy, and the time left.
type epochBar struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	epoch int
}

func newEpochBar(w io.Writer) *epochBar { return &epochBar{w: w} }

func (b *epochBar) update(p train.Progress) {
	if b.bar == nil || b.epoch != p.Epoch {
		b.epoch = p.Epoch
		b.bar = progressbar.NewOptions(p.Steps,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", p.Epoch, p.Epochs)),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(0),
		)
	}
	rate := float64(p.Images) / p.Elapsed.Seconds()
	b.bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f  acc %5.2f%%  %4.0f img/s",
		p.Epoch, p.Epochs, p.Loss, 100*p.Accuracy, rate))
	b.bar.Set(p.Step)
}

// finish clears the bar so the epoch's summary line takes its place.
func (b *epochBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
		b.bar.Clear()
		b.bar = nil
	}
}
