package kernels

import "github.com/kestrel-ml/kestrel/internal/gemm"

// The element-wise loops below run in vector registers when the matrix
// multiply does: 16 lanes at a time with AVX-512 on its AVX-512 path, 8 with
// AVX2 and FMA on its AVX2 path (so KESTREL_KERNEL and gemm.Use select them
// too), and as plain Go loops on the generic path; the Go loops are the
// references the vector ones are tested against. The vector loops are given
// whole steps (see vectorPart) and the Go loops finish the rest. Each takes
// its length from its first slice; the others must be at least as long.

// simd names a set of vector loops.
type simd int

const (
	noSIMD     simd = iota // the Go loops alone
	simdAVX2               // 8 lanes, the functions ending in AVX2
	simdAVX512             // 16 lanes, the functions ending in AVX512
)

// vector returns the vector loops of the matrix multiply's current path, or
// noSIMD where they are not built in.
func vector() simd {
	if haveVecAsm {
		switch gemm.Kernel() {
		case "avx512":
			return simdAVX512
		case "avx2":
			return simdAVX2
		}
	}
	return noSIMD
}

// lanes returns the number of float32 lanes in a vector register of v.
func (v simd) lanes() int { return [...]int{noSIMD: 0, simdAVX2: 8, simdAVX512: 16}[v] }

// The vector loops take whole steps of elements: one register in the
// element-wise loops, 16 floats in the sums (two AVX2 registers, for two sets
// of accumulators) and 32 in Dot and Dot4.
const (
	oneRegister = 0
	sumStep     = 16
	dotStep     = 32
)

// vectorPart returns the vector loops in use and how many of n elements they
// take, in whole steps of step floats or one register, whichever is longer;
// it returns noSIMD and 0 where they take none.
func vectorPart(n, step int) (simd, int) {
	v := vector()
	step = max(step, v.lanes())
	if v == noSIMD || n < step {
		return noSIMD, 0
	}
	return v, n - n%step
}

// Relu writes max(x, 0) into dst without branches: negative values become +0.
func Relu(dst, x []float32) {
	x = x[:len(dst)]
	isa, i := vectorPart(len(dst), oneRegister)
	switch isa {
	case simdAVX512:
		reluAVX512(&dst[0], &x[0], i)
	case simdAVX2:
		reluAVX2(&dst[0], &x[0], i)
	}
	reluGo(dst[i:], x[i:])
}

// ReluBackward adds dy into g wherever the ReLU output y is not zero.
func ReluBackward(g, dy, y []float32) {
	dy, y = dy[:len(g)], y[:len(g)]
	isa, i := vectorPart(len(g), oneRegister)
	switch isa {
	case simdAVX512:
		reluBackwardAVX512(&g[0], &dy[0], &y[0], i)
	case simdAVX2:
		reluBackwardAVX2(&g[0], &dy[0], &y[0], i)
	}
	reluBackwardGo(g[i:], dy[i:], y[i:])
}

// Affine writes scale·x + shift into dst.
func Affine(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	isa, i := vectorPart(len(dst), oneRegister)
	switch isa {
	case simdAVX512:
		affineAVX512(&dst[0], &x[0], i, scale, shift)
	case simdAVX2:
		affineAVX2(&dst[0], &x[0], i, scale, shift)
	}
	for j, v := range x[i:] {
		dst[i+j] = scale*v + shift
	}
}

// ShiftedSums returns Σ(x − k) and Σ(x − k)² over x, summed in float32.
func ShiftedSums(x []float32, k float32) (s, ss float32) {
	isa, i := vectorPart(len(x), sumStep)
	switch isa {
	case simdAVX512:
		s, ss = shiftedSumsAVX512(&x[0], i, k)
	case simdAVX2:
		s, ss = shiftedSumsAVX2(&x[0], i, k)
	}
	ts, tss := shiftedSumsGo(x[i:], k)
	return s + ts, ss + tss
}

// DotSums returns Σdy and Σdy·(x − mu), summed in float32.
func DotSums(dy, x []float32, mu float32) (sdy, sdyx float32) {
	x = x[:len(dy)]
	isa, i := vectorPart(len(dy), sumStep)
	switch isa {
	case simdAVX512:
		sdy, sdyx = dotSumsAVX512(&dy[0], &x[0], i, mu)
	case simdAVX2:
		sdy, sdyx = dotSumsAVX2(&dy[0], &x[0], i, mu)
	}
	a, b := dotSumsGo(dy[i:], x[i:], mu)
	return sdy + a, sdyx + b
}

// BNInputGrad adds k·(dy − mdy − (x − mu)·c) into dx: the input gradient of
// training-mode batch normalisation, with k = gamma·invStd and
// c = invStd·mean(dy·x̂).
func BNInputGrad(dx, dy, x []float32, k, mdy, mu, c float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	isa, i := vectorPart(len(dx), oneRegister)
	switch isa {
	case simdAVX512:
		bnInputGradAVX512(&dx[0], &dy[0], &x[0], i, k, mdy, mu, c)
	case simdAVX2:
		bnInputGradAVX2(&dx[0], &dy[0], &x[0], i, k, mdy, mu, c)
	}
	for j, v := range dy[i:] {
		dx[i+j] += k * (v - mdy - (x[i+j]-mu)*c)
	}
}

// Add adds src into dst element by element.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	isa, i := vectorPart(len(dst), oneRegister)
	switch isa {
	case simdAVX512:
		addAVX512(&dst[0], &src[0], i)
	case simdAVX2:
		addAVX2(&dst[0], &src[0], i)
	}
	for j, v := range src[i:] {
		dst[i+j] += v
	}
}

// AddScalar adds v to every element of x.
func AddScalar(x []float32, v float32) {
	isa, i := vectorPart(len(x), oneRegister)
	switch isa {
	case simdAVX512:
		addScalarAVX512(&x[0], i, v)
	case simdAVX2:
		addScalarAVX2(&x[0], i, v)
	}
	for j := range x[i:] {
		x[i+j] += v
	}
}

// Sum returns the sum of x, in float32.
func Sum(x []float32) float32 {
	var s float32
	isa, i := vectorPart(len(x), sumStep)
	switch isa {
	case simdAVX512:
		s = sumAVX512(&x[0], i)
	case simdAVX2:
		s = sumAVX2(&x[0], i)
	}
	return s + sumGo(x[i:])
}

// Dot returns Σ a·b, in float32.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	isa, i := vectorPart(len(a), dotStep)
	switch isa {
	case simdAVX512:
		s = dotAVX512(&a[0], &b[0], i)
	case simdAVX2:
		s = dotAVX2(&a[0], &b[0], i)
	}
	return s + dotGo(a[i:], b[i:])
}

// Dot4 returns the four dot products Σ a·b_r of a with the rows
// b_r = b[r·ldb:][:len(a)], r = 0…3: a matrix of four rows times a vector, in
// one pass over a.
func Dot4(a, b []float32, ldb int) (s [4]float32) {
	n := len(a)
	_ = b[3*ldb+n-1]
	isa, i := vectorPart(n, dotStep)
	switch isa {
	case simdAVX512:
		s[0], s[1], s[2], s[3] = dot4AVX512(&a[0], &b[0], ldb, i)
	case simdAVX2:
		s[0], s[1], s[2], s[3] = dot4AVX2(&a[0], &b[0], ldb, i)
	}
	for r := range s {
		s[r] += dotGo(a[i:], b[r*ldb+i:][:n-i])
	}
	return s
}

// dotGo is Dot in Go, over independent accumulators.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		u, v := a[i:i+4:i+4], b[i:i+4:i+4]
		s0, s1, s2, s3 = s0+u[0]*v[0], s1+u[1]*v[1], s2+u[2]*v[2], s3+u[3]*v[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sumGo is Sum in Go, over independent accumulators.
func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0, s1, s2, s3 = s0+v[0], s1+v[1], s2+v[2], s3+v[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// reluGo is Relu in Go: the sign bit, spread, masks the value.
func reluGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		bits := math32bits(v)
		mask := uint32(int32(^bits) >> 31) // all ones when the sign bit is clear
		dst[i] = math32frombits(bits & mask)
	}
}

// reluBackwardGo is ReluBackward in Go.
func reluBackwardGo(g, dy, y []float32) {
	dy, y = dy[:len(g)], y[:len(g)]
	for i, v := range dy {
		// all ones exactly when y is not zero
		mask := uint32(-int32(min(math32bits(y[i]), 1)))
		g[i] += math32frombits(math32bits(v) & mask)
	}
}

// shiftedSumsGo is ShiftedSums in Go, over independent accumulators.
func shiftedSumsGo(x []float32, k float32) (s, ss float32) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a, b, c, d := v[0]-k, v[1]-k, v[2]-k, v[3]-k
		s0, s1, s2, s3 = s0+a, s1+b, s2+c, s3+d
		q0, q1, q2, q3 = q0+a*a, q1+b*b, q2+c*c, q3+d*d
	}
	for ; i < len(x); i++ {
		a := x[i] - k
		s0 += a
		q0 += a * a
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// dotSumsGo is DotSums in Go, over independent accumulators.
func dotSumsGo(dy, x []float32, mu float32) (sdy, sdyx float32) {
	x = x[:len(dy)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	i := 0
	for ; i+4 <= len(dy); i += 4 {
		g := dy[i : i+4 : i+4]
		v := x[i : i+4 : i+4]
		a0, a1, a2, a3 = a0+g[0], a1+g[1], a2+g[2], a3+g[3]
		b0, b1 = b0+g[0]*(v[0]-mu), b1+g[1]*(v[1]-mu)
		b2, b3 = b2+g[2]*(v[2]-mu), b3+g[3]*(v[3]-mu)
	}
	for ; i < len(dy); i++ {
		a0 += dy[i]
		b0 += dy[i] * (x[i] - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// MaxPool2x2 is 2×2 max-pooling with stride 2 of one plane src of width w:
// dst and idx are [oh, ow], and idx receives the plane index of each window's
// maximum, the first in row-major order on ties. dst holds src[idx]. Neither
// version branches on the data (random signs would mispredict every window);
// a NaN that is not first in its window is passed over.
func MaxPool2x2(dst []float32, idx []int32, src []float32, w, oh, ow int) {
	isa := vector()
	if oh > 0 && isa != noSIMD && w%16 == 0 && ow == w/2 && len(src) >= 2*oh*w {
		_, _ = dst[oh*ow-1], idx[oh*ow-1]
		if isa == simdAVX512 {
			maxPool2x2AVX512(&dst[0], &idx[0], &src[0], w, oh)
		} else {
			maxPool2x2AVX2(&dst[0], &idx[0], &src[0], w, oh)
		}
		return
	}
	if pairs := oh / 2; pairs > 0 && isa != noSIMD && w == 8 && ow == 4 && len(src) >= 2*oh*w {
		_, _ = dst[oh*ow-1], idx[oh*ow-1]
		if isa == simdAVX512 {
			maxPool2x2W8AVX512(&dst[0], &idx[0], &src[0], pairs)
		} else {
			maxPool2x2W8AVX2(&dst[0], &idx[0], &src[0], pairs)
		}
		if oh%2 == 0 {
			return
		}

		// the last row, with indices relative to the plane
		last := oh - 1
		maxPool2x2Go(dst[last*ow:], idx[last*ow:], src[2*last*w:], w, 1, ow)
		for j := range idx[last*ow:] {
			idx[last*ow+j] += int32(2 * last * w)
		}
		return
	}
	maxPool2x2Go(dst, idx, src, w, oh, ow)
}

// maxPool2x2Go is MaxPool2x2 in Go.
func maxPool2x2Go(dst []float32, idx []int32, src []float32, w, oh, ow int) {
	for oy := 0; oy < oh; oy++ {
		r0 := src[2*oy*w:][:2*ow]
		r1 := src[(2*oy+1)*w:][:2*ow]
		d := dst[oy*ow:][:ow]
		id := idx[oy*ow:][:ow]
		base := int32(2 * oy * w)
		for ox := range d {
			a, b := r0[2*ox], r0[2*ox+1]
			c, e := r1[2*ox], r1[2*ox+1]
			sTop, sBottom := b2i(b > a), b2i(e > c)
			top := r0[2*ox+int(sTop)]
			bottom := r1[2*ox+int(sBottom)]
			sRow := b2i(bottom > top)

			// top row: base + sTop; bottom row: base + w + sBottom
			at := int32(2*ox) + sTop + sRow*(int32(w)+sBottom-sTop)
			d[ox] = src[int(base+at)]
			id[ox] = base + at
		}
	}
}

// b2i converts a comparison to 0 or 1 without a branch.
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
