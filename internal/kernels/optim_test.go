package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamMatchesGoLoop checks that Adam's vector loops give the Go loop's
// bits on every path, with and without weight decay, for lengths that leave
// the Go loop a tail, and that the update moves the parameters at all.
func TestAdamMatchesGoLoop(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, decay := range []float32{0, 5e-4} {
			for _, n := range []int{1, 7, 8, 16, 37, 100} {
				t.Run(fmt.Sprintf("decay=%g/n=%d", decay, n), func(t *testing.T) {
					checkAdam(t, n, decay)
				})
			}
		}
	})
}

func checkAdam(t *testing.T, n int, decay float32) {
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i] = float32(rng.NormFloat64())
		g[i] = float32(rng.NormFloat64()) * 1e-2
		m[i] = float32(rng.NormFloat64()) * 1e-3
		v[i] = float32(rng.Float64()) * 1e-4
	}
	g[0] = 0 // a zero gradient and zero moments: the update is exactly zero
	m[0], v[0] = 0, 0
	c := AdamCoefficients{Beta1: 0.9, Rest1: 1 - float32(0.9), Beta2: 0.999,
		Rest2: 1 - float32(0.999), Bias2: 0.0447, Eps: 1e-8, Step: 1e-2, Decay: decay}

	wantP, wantM, wantV := slices.Clone(p), slices.Clone(m), slices.Clone(v)
	adamGo(wantP, g, wantM, wantV, c)
	before := slices.Clone(p)
	Adam(p, g, m, v, c)
	assertSameBits(t, "p", p, wantP)
	assertSameBits(t, "m", m, wantM)
	assertSameBits(t, "v", v, wantV)

	moved := 0
	for i := range p {
		if p[i] != before[i] {
			moved++
		}
	}
	if want := n - 1; decay == 0 && moved != want || decay != 0 && moved < want {
		t.Errorf("%d of %d parameters moved, want %d or more", moved, n, want)
	}
}
