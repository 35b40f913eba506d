package kernels

import "math"

// AdamCoefficients are the scalars of one Adam update, all float32 as the
// update computes in float32: the moment decays Beta1 and Beta2 and their
// complements Rest1 = 1 − Beta1 and Rest2 = 1 − Beta2, Bias2 = √(1 − β2ᵗ),
// Eps, the step size Step = lr/(1 − β1ᵗ) and the L2 weight decay Decay.
type AdamCoefficients struct {
	Beta1, Rest1, Beta2, Rest2 float32
	Bias2, Eps, Step, Decay    float32
}

// array returns the coefficients in field order, as the vector loops read them.
func (c *AdamCoefficients) array() *[8]float32 {
	return &[8]float32{c.Beta1, c.Rest1, c.Beta2, c.Rest2, c.Bias2, c.Eps, c.Step, c.Decay}
}

// Adam applies one Adam update to the parameters p given their gradient g and
// moment estimates m and v, all of the same length, element by element:
//
//	g ← g + Decay·p  (when Decay is not zero; g itself is not written)
//	m ← Beta1·m + Rest1·g,  v ← Beta2·v + (Rest2·g)·g
//	p ← p − (Step·m) / (√v / Bias2 + Eps)
//
// The vector loops round exactly as the Go loop does, so any split of the
// elements, across threads or between loops, gives the same bits.
func Adam(p, g, m, v []float32, c AdamCoefficients) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	isa, i := vectorPart(len(p), oneRegister)
	if i > 0 {
		a := c.array()
		switch {
		case isa == simdAVX512 && c.Decay != 0:
			adamDecayAVX512(&p[0], &g[0], &m[0], &v[0], i, &a[0])
		case isa == simdAVX512:
			adamAVX512(&p[0], &g[0], &m[0], &v[0], i, &a[0])
		case c.Decay != 0:
			adamDecayAVX2(&p[0], &g[0], &m[0], &v[0], i, &a[0])
		default:
			adamAVX2(&p[0], &g[0], &m[0], &v[0], i, &a[0])
		}
	}
	adamGo(p[i:], g[i:], m[i:], v[i:], c)
}

// adamGo is Adam's reference loop. The explicit conversions keep every product
// rounded on its own, as the vector loops round it, on compilers that would
// otherwise fuse a multiply and an add.
func adamGo(p, g, m, v []float32, c AdamCoefficients) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for j := range p {
		grad := g[j]
		if c.Decay != 0 {
			grad += float32(c.Decay * p[j])
		}
		m[j] = float32(c.Beta1*m[j]) + float32(c.Rest1*grad)
		v[j] = float32(c.Beta2*v[j]) + float32(float32(c.Rest2*grad)*grad)
		denom := sqrt32(v[j])/c.Bias2 + c.Eps
		p[j] -= float32(c.Step*m[j]) / denom
	}
}

// sqrt32 is the correctly rounded float32 square root of x.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
