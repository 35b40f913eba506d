package kernels

import "github.com/kestrel-ml/kestrel/internal/gemm"

// The element-wise loops below run 16 lanes at a time with AVX-512 when the
// matrix multiply uses its AVX-512 path (so KESTREL_KERNEL and gemm.Use select
// them too), and as plain Go loops otherwise; the Go loops are the references
// the vector ones are tested against. Each takes its length from its first
// slice; the others must be at least as long.

// vecBlock is the number of lanes the vector loops handle per step; they are
// given whole blocks and the Go loops finish the rest.
const vecBlock = 16

// vector reports whether the AVX-512 loops are in use.
func vector() bool { return haveVecAsm && gemm.Kernel() == "avx512" }

// Relu writes max(x, 0) into dst without branches: negative values become +0.
func Relu(dst, x []float32) {
	x = x[:len(dst)]
	i := 0
	if vector() && len(dst) >= vecBlock {
		i = len(dst) &^ (vecBlock - 1)
		reluAVX512(&dst[0], &x[0], i)
	}
	reluGo(dst[i:], x[i:])
}

// ReluBackward adds dy into g wherever the ReLU output y is not zero.
func ReluBackward(g, dy, y []float32) {
	dy, y = dy[:len(g)], y[:len(g)]
	i := 0
	if vector() && len(g) >= vecBlock {
		i = len(g) &^ (vecBlock - 1)
		reluBackwardAVX512(&g[0], &dy[0], &y[0], i)
	}
	reluBackwardGo(g[i:], dy[i:], y[i:])
}

// Affine writes scale·x + shift into dst.
func Affine(dst, x []float32, scale, shift float32) {
	x = x[:len(dst)]
	i := 0
	if vector() && len(dst) >= vecBlock {
		i = len(dst) &^ (vecBlock - 1)
		affineAVX512(&dst[0], &x[0], i, scale, shift)
	}
	for j, v := range x[i:] {
		dst[i+j] = scale*v + shift
	}
}

// ShiftedSums returns Σ(x − k) and Σ(x − k)² over x, summed in float32.
func ShiftedSums(x []float32, k float32) (s, ss float32) {
	i := 0
	if vector() && len(x) >= vecBlock {
		i = len(x) &^ (vecBlock - 1)
		s, ss = shiftedSumsAVX512(&x[0], i, k)
	}
	ts, tss := shiftedSumsGo(x[i:], k)
	return s + ts, ss + tss
}

// DotSums returns Σdy and Σdy·(x − mu), summed in float32.
func DotSums(dy, x []float32, mu float32) (sdy, sdyx float32) {
	x = x[:len(dy)]
	i := 0
	if vector() && len(dy) >= vecBlock {
		i = len(dy) &^ (vecBlock - 1)
		sdy, sdyx = dotSumsAVX512(&dy[0], &x[0], i, mu)
	}
	a, b := dotSumsGo(dy[i:], x[i:], mu)
	return sdy + a, sdyx + b
}

// BNInputGrad adds k·(dy − mdy − (x − mu)·c) into dx: the input gradient of
// training-mode batch normalisation, with k = gamma·invStd and
// c = invStd·mean(dy·x̂).
func BNInputGrad(dx, dy, x []float32, k, mdy, mu, c float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	i := 0
	if vector() && len(dx) >= vecBlock {
		i = len(dx) &^ (vecBlock - 1)
		bnInputGradAVX512(&dx[0], &dy[0], &x[0], i, k, mdy, mu, c)
	}
	for j, v := range dy[i:] {
		dx[i+j] += k * (v - mdy - (x[i+j]-mu)*c)
	}
}

// Add adds src into dst element by element.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	if vector() && len(dst) >= vecBlock {
		i = len(dst) &^ (vecBlock - 1)
		addAVX512(&dst[0], &src[0], i)
	}
	for j, v := range src[i:] {
		dst[i+j] += v
	}
}

// AddScalar adds v to every element of x.
func AddScalar(x []float32, v float32) {
	i := 0
	if vector() && len(x) >= vecBlock {
		i = len(x) &^ (vecBlock - 1)
		addScalarAVX512(&x[0], i, v)
	}
	for j := range x[i:] {
		x[i+j] += v
	}
}

// Sum returns the sum of x, in float32.
func Sum(x []float32) float32 {
	var s float32
	i := 0
	if vector() && len(x) >= vecBlock {
		i = len(x) &^ (vecBlock - 1)
		s = sumAVX512(&x[0], i)
	}
	return s + sumGo(x[i:])
}

// Dot returns Σ a·b, in float32.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	i := 0
	if vector() && len(a) >= 2*vecBlock {
		i = len(a) &^ (2*vecBlock - 1)
		s = dotAVX512(&a[0], &b[0], i)
	}
	return s + dotGo(a[i:], b[i:])
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
	if oh > 0 && vector() && w%16 == 0 && ow == w/2 && len(src) >= 2*oh*w {
		_, _ = dst[oh*ow-1], idx[oh*ow-1]
		maxPool2x2AVX512(&dst[0], &idx[0], &src[0], w, oh)
		return
	}
	if pairs := oh / 2; pairs > 0 && vector() && w == 8 && ow == 4 && len(src) >= 2*oh*w {
		_, _ = dst[oh*ow-1], idx[oh*ow-1]
		maxPool2x2W8AVX512(&dst[0], &idx[0], &src[0], pairs)
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
