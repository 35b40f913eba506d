package gemm

import (
	"math/rand"
	"testing"
)

// TestSgemmPackedMatchesReference checks products with a pre-packed A against
// the reference on every path, with shapes that span several k and m blocks
// and reuse of one PackedA for several B.
func TestSgemmPackedMatchesReference(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		var p PackedA
		for i, s := range []shape{
			{"small", 5, 7, 3, false, false},
			{"conv", 64, 256, 288, false, false},
			{"blocks", 400, 70, 600, true, true},
			{"transA", 37, 45, 300, true, false},
		} {
			rng := rand.New(rand.NewSource(int64(i)))
			o := newOperands(rng, s, 3)
			p.Pack(s.transA, s.m, s.k, o.a, o.lda)
			for _, v := range variants[:3] {
				o2 := newOperands(rng, s, 2)
				o2.a, o2.lda = o.a, o.lda
				want := append([]float32(nil), o2.c...)
				Reference(s.transA, s.transB, s.m, s.n, s.k, v.alpha, o2.a, o2.lda, o2.b, o2.ldb,
					v.beta, want, o2.ldc)
				SgemmPacked(&p, s.transB, s.n, v.alpha, o2.b, o2.ldb, v.beta, o2.c, o2.ldc)
				checkC(t, "SgemmPacked", s, v, o2, want, o2.c)
			}
		}
	})
}
