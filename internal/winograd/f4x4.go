package winograd

import (
	"fmt"
	"slices"
)

// Winograd F(4×4, 3×3): each 4×4 block of output comes from the 6×6 tile of
// input around it, Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A, with Lavin and Gray's
// matrices for the points 0, ±1, ±2:
//
//	     ⎡4  0 −5  0  1  0⎤        ⎡ 1/4     0     0⎤
//	     ⎢0 −4 −4  1  1  0⎥        ⎢−1/6  −1/6  −1/6⎥        ⎡1  1  1  1  1  0⎤
//	Bᵀ = ⎢0  4 −4 −1  1  0⎥    G = ⎢−1/6   1/6  −1/6⎥   Aᵀ = ⎢0  1 −1  2 −2  0⎥
//	     ⎢0 −2 −1  2  1  0⎥        ⎢1/24  1/12   1/6⎥        ⎢0  1  1  4  4  0⎥
//	     ⎢0  2 −1 −2  1  0⎥        ⎢1/24 −1/12   1/6⎥        ⎣0  1 −1  8 −8  1⎦
//	     ⎣0  4  0 −5  0  1⎦        ⎣   0     0     1⎦
//
// Summed over input channels, the element-wise products become 36 matrix
// multiplies with 36 multiplications per tile and channel pair where the
// direct convolution needs 144, against F(2×2, 3×3)'s 16 for 36. The price is
// rounding: the coefficients reach 8 and 1/24, so a convolution agrees with
// the direct one to about 3e-5 of its outputs' scale rather than 2e-6.
//
// The transforms here work on tiles anywhere in memory, named by offsets, so
// that one call can take the tiles of several planes: Input4 reads each tile's
// 6×6 window from zero-padded planes, Output4 writes each 4×4 block of output,
// and Gradient4, the adjoint of Output4, reads each 4×4 block of an output
// gradient. Planes must be whole tiles: h and w multiples of 4.

// Positions4 is the number of values in a transformed F(4×4, 3×3) tile.
const Positions4 = 36

// Tiles4 returns the rows and columns of 4×4 tiles of an h×w plane; h and w
// must be multiples of 4.
func Tiles4(h, w int) (th, tw int) { return h / 4, w / 4 }

// Pitch4 is the row length of the zero-padded planes Input4 reads for planes
// w wide: one zero column on the left, three on the right, so that every
// tile's window leaves two more readable values to its right.
func Pitch4(w int) int { return w + 4 }

// PaddedRows4 is the number of rows of a zero-padded plane for planes h high:
// one zero row above and one below.
func PaddedRows4(h int) int { return h + 2 }

// group4 is the number of tiles the vector loops transform at a time.
const group4 = 8

// Kernels4 writes the transformed kernels G g Gᵀ of w [oc, c, 3, 3] into
// u [36, oc, c]; with adjoint it writes those of the adjoint convolution,
// u [36, c, oc], whose kernel (j, i) is w's kernel (i, j) rotated by 180°.
// The transform is computed in float64 and rounded once.
func Kernels4(u, w []float32, oc, c int, adjoint bool) {
	plane := oc * c
	u = u[:Positions4*plane]
	for o := 0; o < oc; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			var k [9]float64
			dst := o*c + i
			for j := range k {
				if adjoint {
					k[j] = float64(g[8-j])
				} else {
					k[j] = float64(g[j])
				}
			}
			if adjoint {
				dst = i*oc + o
			}

			// t = G k (6×3), then t Gᵀ (6×6)
			var t [18]float64
			for col := 0; col < 3; col++ {
				g6 := gColumn(k[col], k[3+col], k[6+col])
				for r, v := range g6 {
					t[3*r+col] = v
				}
			}
			for r := 0; r < 6; r++ {
				g6 := gColumn(t[3*r], t[3*r+1], t[3*r+2])
				for col, v := range g6 {
					u[(6*r+col)*plane+dst] = float32(v)
				}
			}
		}
	}
}

// gColumn returns G k for one column k of three values, with multiplications
// by the reciprocals rather than divisions, which would take most of the time.
func gColumn(k0, k1, k2 float64) [6]float64 {
	even, odd := k0+k2, k1
	q0, q2 := k0*(1.0/24)+k2*(1.0/6), k1*(1.0/12)
	return [6]float64{
		k0 * 0.25,
		(even + odd) * (-1.0 / 6),
		(even - odd) * (-1.0 / 6),
		q0 + q2,
		q0 - q2,
		k2,
	}
}

// Pad4 copies the plane [h, w] into the inside of the zero-padded plane dst,
// which holds PaddedRows4(h) rows of Pitch4(w) values; the zero border is left
// alone, so that a padded plane can be reused for planes of the same size.
func Pad4(dst, plane []float32, h, w int) {
	pitch := Pitch4(w)
	if len(dst) < PaddedRows4(h)*pitch || len(plane) < h*w {
		panic(fmt.Sprintf("winograd: Pad4 of a %d×%d plane from %d values into %d", h, w,
			len(plane), len(dst)))
	}
	inside := dst[pitch+1:]
	rows := 0
	if vector() && w%8 == 0 {
		rows = h
		padRowsAVX(&inside[0], 4*pitch, &plane[0], w/8, h)
	}
	for r := rows; r < h; r++ {
		copy(inside[r*pitch:r*pitch+w], plane[r*w:(r+1)*w])
	}
}

// TileOffsets names the tiles a transform takes by the offsets of their first
// values, and keeps the smallest and largest offset, so that each transform
// checks its bounds once instead of tile by tile: a convolution transforms the
// same tiles of every channel.
type TileOffsets struct {
	Offsets []int32
	lo, hi  int32
}

// NewTileOffsets returns the tiles at offs, which it keeps.
func NewTileOffsets(offs []int32) TileOffsets {
	t := TileOffsets{Offsets: offs}
	if len(offs) > 0 {
		t.lo, t.hi = slices.Min(offs), slices.Max(offs)
	}
	return t
}

// Input4 writes Bᵀ d B for tiles [0, n) of tiles: tile j is the 6×6 window
// whose first value is src[tiles.Offsets[j]], rows pitch apart, read from zero-padded
// planes (see Pitch4 and PaddedRows4: input value (y, x) of a plane at row
// y+1, column x+1); position ξ of tile j goes to v[ξ·ld + j]. Each window must
// have two more values after each of its rows inside src, which padded planes
// of Pitch4 columns give.
func Input4(v []float32, ld int, src []float32, tiles TileOffsets, pitch int) {
	offs := tiles.Offsets
	groups := vectorGroups4("Input4", tiles, len(v), ld, len(src), 5*pitch+8)
	if groups > 0 {
		input4AVX(&v[0], 4*ld, &src[0], &offs[0], 4*pitch, groups)
	}
	for j := group4 * groups; j < len(offs); j++ {
		var d [36]float32
		readBlock(d[:], 6, src, int(offs[j]), pitch)
		putTile(v, ld, j, transformInput4(d))
	}
}

// readBlock copies the size×size block of src whose first value is at, rows
// pitch apart, into dst row by row.
func readBlock(dst []float32, size int, src []float32, at, pitch int) {
	for r := 0; r < size; r++ {
		copy(dst[size*r:size*(r+1)], src[at+r*pitch:])
	}
}

// putTile writes the transformed tile t as tile j of v: position ξ at
// v[ξ·ld + j]. getTile reads it back.
func putTile(v []float32, ld, j int, t [Positions4]float32) {
	for xi, x := range t {
		v[xi*ld+j] = x
	}
}

func getTile(v []float32, ld, j int) (t [Positions4]float32) {
	for xi := range t {
		t[xi] = v[xi*ld+j]
	}
	return t
}

// Output4 writes Aᵀ M A plus bias for tiles [0, n) of tiles, or with
// accumulate adds it: tile j's 4×4 block goes to dst[tiles.Offsets[j]:], rows
// w apart,
// and its position ξ is m[ξ·ld + j].
func Output4(dst []float32, w int, tiles TileOffsets, m []float32, ld int, bias float32,
	accumulate bool) {
	offs := tiles.Offsets
	groups := vectorGroups4("Output4", tiles, len(m), ld, len(dst), 3*w+4)
	switch {
	case groups > 0 && accumulate:
		output4AddAVX(&dst[0], 4*w, &offs[0], &m[0], 4*ld, groups, bias)
	case groups > 0:
		output4AVX(&dst[0], 4*w, &offs[0], &m[0], 4*ld, groups, bias)
	}
	for j := group4 * groups; j < len(offs); j++ {
		y := transformOutput4(getTile(m, ld, j))
		at := int(offs[j])
		for r := 0; r < 4; r++ {
			row := dst[at+r*w : at+r*w+4]
			for c := range row {
				if accumulate {
					row[c] += y[4*r+c] + bias
				} else {
					row[c] = y[4*r+c] + bias
				}
			}
		}
	}
}

// vectorGroups4 checks the sizes given to the transform what and returns how
// many groups of eight of the tiles its vector loops take (none where they do
// not run), leaving the rest to the Go loops. Tiles' transformed values lie
// in positions, a slice of n values with position stride ld; the tiles
// themselves in a slice of size values, each reaching extent values on from
// its offset. It panics where a tile would reach outside either slice, which
// the vector loops, reading and writing without bounds checks, rely on.
func vectorGroups4(what string, tiles TileOffsets, n, ld, size, extent int) int {
	offs := tiles.Offsets
	if len(offs) == 0 {
		return 0
	}
	if ld < len(offs) || n < (Positions4-1)*ld+len(offs) {
		panic(fmt.Sprintf("winograd: %s of %d tiles with %d transformed values, ld %d", what,
			len(offs), n, ld))
	}
	if tiles.lo < 0 || int(tiles.hi)+extent > size {
		panic(fmt.Sprintf("winograd: %s offsets %d to %d with extent %d outside %d values",
			what, tiles.lo, tiles.hi, extent, size))
	}
	if !vector() {
		return 0
	}
	return len(offs) / group4
}

// transformInput4 returns Bᵀ d B for a 6×6 tile d, row by row: B across each
// row first, then Bᵀ down each column, as the vector loops compute it.
func transformInput4(d [36]float32) [36]float32 {
	var e, v [36]float32
	for r := 0; r < 6; r++ {
		t := bt6(d[6*r], d[6*r+1], d[6*r+2], d[6*r+3], d[6*r+4], d[6*r+5])
		copy(e[6*r:], t[:])
	}
	for j := 0; j < 6; j++ {
		t := bt6(e[j], e[6+j], e[12+j], e[18+j], e[24+j], e[30+j])
		for i, x := range t {
			v[6*i+j] = x
		}
	}
	return v
}

// bt6 returns Bᵀ d for six values d. Each product is rounded on its own (the
// conversions keep a compiler from fusing it into an addition), in the order
// the vector loops use, so that both round alike.
func bt6(d0, d1, d2, d3, d4, d5 float32) [6]float32 {
	a, b := d4-d2, float32(2*(d3-d1))
	return [6]float32{
		(float32(4*d0) - float32(5*d2)) + d4,
		(d3 + d4) - float32(4*(d1+d2)),
		(d4 - d3) + float32(4*(d1-d2)),
		a + b,
		a - b,
		(float32(4*d1) - float32(5*d3)) + d5,
	}
}

// transformOutput4 returns Aᵀ M A, 4×4 row by row, for a transformed tile M:
// Aᵀ down each column first, then across each row.
func transformOutput4(m [36]float32) [16]float32 {
	var s [24]float32 // Aᵀ M, four rows of six
	for j := 0; j < 6; j++ {
		t := at6(m[j], m[6+j], m[12+j], m[18+j], m[24+j], m[30+j])
		for r, x := range t {
			s[6*r+j] = x
		}
	}
	var y [16]float32
	for r := 0; r < 4; r++ {
		t := at6(s[6*r], s[6*r+1], s[6*r+2], s[6*r+3], s[6*r+4], s[6*r+5])
		copy(y[4*r:], t[:])
	}
	return y
}

// at6 returns Aᵀ m for six values m, rounded as the vector loops round it.
func at6(m0, m1, m2, m3, m4, m5 float32) [4]float32 {
	a, b, c, d := m1+m2, m1-m2, m3+m4, m3-m4
	return [4]float32{
		(m0 + a) + c,
		b + float32(2*d),
		a + float32(4*c),
		(b + float32(8*d)) + m5,
	}
}

// Gradient4 writes A dY Aᵀ, the adjoint of the output transform, for tiles
// [0, n) of tiles: tile j's 4×4 block dY of the output gradient is at
// dy[tiles.Offsets[j]:], rows w apart, and position ξ of its transform goes to
// m[ξ·ld + j]. With the transformed input V it gives the gradient of the
// transformed kernels, dU[ξ] = Σ_j M[ξ, j] V[ξ, j], which KernelGradients4
// turns into the kernels'.
func Gradient4(m []float32, ld int, dy []float32, w int, tiles TileOffsets) {
	offs := tiles.Offsets
	groups := vectorGroups4("Gradient4", tiles, len(m), ld, len(dy), 3*w+4)
	if groups > 0 {
		gradient4AVX(&m[0], 4*ld, &dy[0], 4*w, &offs[0], groups)
	}
	for j := group4 * groups; j < len(offs); j++ {
		var d [16]float32
		readBlock(d[:], 4, dy, int(offs[j]), w)
		putTile(m, ld, j, transformGradient4(d))
	}
}

// transformGradient4 returns A dY Aᵀ, 6×6 row by row, for a 4×4 block dY: A
// across each row first, then down each column, as the vector loops compute
// it.
func transformGradient4(d [16]float32) [36]float32 {
	var t [24]float32 // dY Aᵀ, four rows of six
	for r := 0; r < 4; r++ {
		e := a6(d[4*r], d[4*r+1], d[4*r+2], d[4*r+3])
		copy(t[6*r:], e[:])
	}
	var m [36]float32
	for j := 0; j < 6; j++ {
		e := a6(t[j], t[6+j], t[12+j], t[18+j])
		for i, x := range e {
			m[6*i+j] = x
		}
	}
	return m
}

// a6 returns A y for four values y, rounded as the vector loops round it.
func a6(y0, y1, y2, y3 float32) [6]float32 {
	a, b := y0+y2, y1+y3
	c, d := y0+float32(4*y2), float32(2*y1)+float32(8*y3)
	return [6]float32{y0, a + b, a - b, c + d, c - d, y3}
}

// KernelGradients4 adds Gᵀ dU G, the adjoint of Kernels4, to dw [oc, c, 3, 3]
// for the gradient du [36, oc, c] of the transformed kernels, computed in
// float64.
func KernelGradients4(dw, du []float32, oc, c int) {
	plane := oc * c
	du = du[:Positions4*plane]
	for j := 0; j < plane; j++ {
		var t [18]float64 // Gᵀ dU (3×6)
		for col := 0; col < 6; col++ {
			var u [6]float64
			for r := range u {
				u[r] = float64(du[(6*r+col)*plane+j])
			}
			g := gtColumn(u)
			for r, v := range g {
				t[6*r+col] = v
			}
		}
		k := dw[j*9 : j*9+9]
		for r := 0; r < 3; r++ { // then (Gᵀ dU) G
			g := gtColumn([6]float64(t[6*r : 6*r+6]))
			for col, v := range g {
				k[3*r+col] += float32(v)
			}
		}
	}
}

// gtColumn returns Gᵀ u for one column u of six values.
func gtColumn(u [6]float64) [3]float64 {
	sum12, sum34 := u[1]+u[2], u[3]+u[4]
	return [3]float64{
		u[0]*0.25 - sum12*(1.0/6) + sum34*(1.0/24),
		(u[2]-u[1])*(1.0/6) + (u[3]-u[4])*(1.0/12),
		(sum34-sum12)*(1.0/6) + u[5],
	}
}
