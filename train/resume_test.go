package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// stripTimes keeps the parts of epoch metrics that do not depend on timing.
func stripTimes(es []EpochStats) []EpochStats {
	out := append([]EpochStats(nil), es...)
	for i := range out {
		out[i].Seconds, out[i].TrainSeconds, out[i].ImagesPerSec = 0, 0, 0
	}
	return out
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

// TestResumeMatchesUninterruptedRun interrupts a run in the middle of its
// third epoch, rolls its saved state back to the first epoch (as if the
// process died between writing metrics and state), resumes it, and expects
// the very weights and metrics of a run that was never interrupted. A third,
// uninterrupted run with the same seed must also be identical.
func TestResumeMatchesUninterruptedRun(t *testing.T) {
	cfg := toyConfig()
	cfg.Epochs = 3
	cfg.Threads = 2
	sets := Datasets{Train: toyImages(320, 1), Val: toyImages(64, 2), Test: toyImages(64, 3)}
	ctx := context.Background()

	whole := t.TempDir()
	want, err := Fit(ctx, cfg, sets, whole, Hooks{})
	if err != nil {
		t.Fatal(err)
	}

	broken := t.TempDir()
	stateAfter1 := filepath.Join(t.TempDir(), "state1")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = Fit(cctx, cfg, sets, broken, Hooks{
		Epoch: func(e EpochStats) {
			if e.Epoch == 1 {
				raw, _ := os.ReadFile(filepath.Join(broken, StateFile))
				os.WriteFile(stateAfter1, raw, 0o644)
			}
		},
		Step: func(p Progress) {
			if p.Epoch == 3 && p.Step == 4 {
				cancel()
			}
		},
	})
	if err == nil {
		t.Fatal("the interrupted run reported success")
	}
	raw, _ := os.ReadFile(stateAfter1)
	if err := os.WriteFile(filepath.Join(broken, StateFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}

	var firstEpoch int
	got, err := Resume(ctx, sets, broken, Hooks{Start: func(s Start) { firstEpoch = s.FirstEpoch }})
	if err != nil {
		t.Fatal(err)
	}
	if firstEpoch != 2 {
		t.Errorf("resumed at epoch %d, want 2", firstEpoch)
	}
	for _, f := range []string{LastFile, BestFile} {
		sameFile(t, filepath.Join(whole, f), filepath.Join(broken, f))
	}
	if got.TestAccuracy != want.TestAccuracy || got.TestLoss != want.TestLoss ||
		got.BestEpoch != want.BestEpoch {
		t.Errorf("resumed run tests %v/%v (best epoch %d), uninterrupted %v/%v (%d)",
			got.TestAccuracy, got.TestLoss, got.BestEpoch, want.TestAccuracy, want.TestLoss,
			want.BestEpoch)
	}
	a, b := stripTimes(want.History), stripTimes(got.History)
	if len(a) != len(b) {
		t.Fatalf("%d epochs vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("epoch %d: uninterrupted %+v, resumed %+v", i+1, a[i], b[i])
		}
	}

	again := t.TempDir()
	if _, err := Fit(ctx, cfg, sets, again, Hooks{}); err != nil {
		t.Fatal(err)
	}
	sameFile(t, filepath.Join(whole, LastFile), filepath.Join(again, LastFile))
}

func TestResumeRejectsNonRunDirectory(t *testing.T) {
	_, err := Resume(context.Background(), Datasets{}, t.TempDir(), Hooks{})
	if err == nil {
		t.Fatal("resumed an empty directory")
	}
}
