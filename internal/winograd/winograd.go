// Package winograd holds the transforms of Winograd's minimal filtering
// algorithms F(2×2, 3×3) (this file) and F(4×4, 3×3) (f4x4.go) for 3×3
// convolutions with stride 1 and padding 1.
//
// Each 2×2 block of output comes from the 4×4 tile of input around it:
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// for an input tile d and a 3×3 kernel g, with the matrices of Lavin and Gray,
// "Fast Algorithms for Convolutional Neural Networks" (2015). Summed over input
// channels before the output transform, the element-wise products become 16
// matrix multiplies, one per position ξ of a transformed tile, with 16
// multiplications per tile and channel pair where the direct convolution
// needs 36. Every coefficient is 0, ±1 or ±½, so the transforms round no more
// than a few additions do.
//
// A plane of h×w outputs has th×tw tiles, th = ⌈h/2⌉ and tw = ⌈w/2⌉, numbered
// row by row. Transformed tiles are stored position-major: position ξ of
// tile t at [ξ·ld + t] for a row stride ld.
package winograd

import "github.com/kestrel-ml/kestrel/internal/gemm"

// Positions is the number of values in a transformed tile.
const Positions = 16

// Tiles returns the rows and columns of tiles of an h×w plane.
func Tiles(h, w int) (th, tw int) { return (h + 1) / 2, (w + 1) / 2 }

// vector reports whether the assembly loops run: they need AVX, which every
// matrix-multiply path but the portable one implies, so forcing that path
// (KESTREL_KERNEL=generic, or gemm.Use in tests) also forces the Go loops.
func vector() bool { return haveAsm && gemm.Kernel() != "generic" }

// Kernels writes the transformed kernels G g Gᵀ of w [oc, c, 3, 3] into
// u [16, oc, c]. With adjoint it writes instead those of the adjoint
// convolution, which maps oc channels to c and computes the input gradient:
// u [16, c, oc], whose kernel (j, i) is w's kernel (i, j) rotated by 180°.
func Kernels(u, w []float32, oc, c int, adjoint bool) {
	plane := oc * c
	for o := 0; o < oc; o++ {
		for i := 0; i < c; i++ {
			g := w[(o*c+i)*9 : (o*c+i)*9+9]
			var k [9]float32
			dst := o*c + i
			if adjoint {
				for j := range k {
					k[j] = g[8-j]
				}
				dst = i*oc + o
			} else {
				copy(k[:], g)
			}

			// t = G k (4×3), then t Gᵀ (4×4)
			var t [12]float32
			for col := 0; col < 3; col++ {
				a, b, e := k[col], k[3+col], k[6+col]
				t[col] = a
				t[3+col] = 0.5 * (a + b + e)
				t[6+col] = 0.5 * (a - b + e)
				t[9+col] = e
			}
			for r := 0; r < 4; r++ {
				a, b, e := t[3*r], t[3*r+1], t[3*r+2]
				u[(4*r+0)*plane+dst] = a
				u[(4*r+1)*plane+dst] = 0.5 * (a + b + e)
				u[(4*r+2)*plane+dst] = 0.5 * (a - b + e)
				u[(4*r+3)*plane+dst] = e
			}
		}
	}
}

// ScratchSize is the length of the scratch Input needs for an h×w plane.
func ScratchSize(h, w int) int {
	th, tw := Tiles(h, w)
	return 2 * (2*th + 2) * (tw + 1)
}

// Input writes Bᵀ d B for every tile d of the zero-padded plane [h, w]:
// position ξ of tile t goes to v[ξ·ld + t]. scratch holds ScratchSize(h, w)
// values and must be zero the first time it is used for a plane of this size;
// Input keeps the values it does not write zero, so that later planes of the
// same size can reuse it without clearing.
func Input(v []float32, ld int, plane []float32, h, w int, scratch []float32) {
	th, tw := Tiles(h, w)

	// the padded plane (2·th+2)×(2·tw+2), split into its even and odd columns:
	// padded column 2j is input column 2j−1, and 2j+1 is input column 2j
	pld, ph := tw+1, 2*th+2
	even, odd := scratch[:ph*pld], scratch[ph*pld:2*ph*pld]
	groups, split := 0, 0
	if vector() {
		groups, split = tw/4, w/8
	}
	for r := 0; r < h; r++ {
		x := plane[r*w : (r+1)*w]
		e, o := even[(r+1)*pld:(r+2)*pld], odd[(r+1)*pld:(r+2)*pld]
		if split > 0 {
			splitRowAVX(&o[0], &e[1], &x[0], split)
		}
		for j := 4 * split; 2*j < w; j++ {
			o[j] = x[2*j]
		}
		for j := 4*split + 1; 2*j-1 < w; j++ {
			e[j] = x[2*j-1]
		}
	}

	for ty := 0; ty < th; ty++ {
		e, o := even[2*ty*pld:(2*ty+4)*pld], odd[2*ty*pld:(2*ty+4)*pld]
		if groups > 0 {
			inputRowAVX(&v[ty*tw], ld, &e[0], &o[0], pld, groups)
		}
		for tx := 4 * groups; tx < tw; tx++ {
			inputTile(v[ty*tw+tx:], ld, e[tx:], o[tx:], pld)
		}
	}
}

// inputTile writes Bᵀ d B for the tile whose four rows of even and odd columns
// start at even and odd, pld apart: position ξ goes to v[ξ·ld].
func inputTile(v []float32, ld int, even, odd []float32, pld int) {
	var d [16]float32
	for r := 0; r < 4; r++ {
		d[4*r], d[4*r+1] = even[r*pld], odd[r*pld]
		d[4*r+2], d[4*r+3] = even[r*pld+1], odd[r*pld+1]
	}
	t := transformInput(d)
	for xi, x := range t {
		v[xi*ld] = x
	}
}

// transformInput returns Bᵀ d B for a 4×4 tile d, row by row.
func transformInput(d [16]float32) [16]float32 {
	var e, v [16]float32
	for k := 0; k < 4; k++ { // Bᵀ d, column by column
		d0, d1, d2, d3 := d[k], d[4+k], d[8+k], d[12+k]
		e[k] = d0 - d2
		e[4+k] = d1 + d2
		e[8+k] = d2 - d1
		e[12+k] = d1 - d3
	}
	for r := 0; r < 4; r++ { // then (Bᵀ d) B, row by row
		a, b, c, d := e[4*r], e[4*r+1], e[4*r+2], e[4*r+3]
		v[4*r] = a - c
		v[4*r+1] = b + c
		v[4*r+2] = c - b
		v[4*r+3] = b - d
	}
	return v
}

// Output writes Aᵀ M A plus bias for every tile of the plane [h, w], or with
// accumulate adds it to the plane, reading position ξ of tile t from
// m[ξ·ld + t].
func Output(plane []float32, h, w int, m []float32, ld int, bias float32, accumulate bool) {
	th, tw := Tiles(h, w)
	for ty := 0; ty < th; ty++ {
		oy := 2 * ty
		groups := 0
		if vector() && oy+1 < h {
			groups = w / 8 // whole groups of four tiles inside the plane
		}
		if groups > 0 {
			if accumulate {
				outputRowAddAVX(&plane[oy*w], w, &m[ty*tw], ld, groups, bias)
			} else {
				outputRowAVX(&plane[oy*w], w, &m[ty*tw], ld, groups, bias)
			}
		}
		for tx := 4 * groups; tx < tw; tx++ {
			var t [16]float32
			for xi := range t {
				t[xi] = m[xi*ld+ty*tw+tx]
			}
			y := transformOutput(t)

			// a partial tile at the bottom or right edge of an odd-sized plane
			// keeps only its part inside
			ox := 2 * tx
			for r := 0; r < 2 && oy+r < h; r++ {
				row := plane[(oy+r)*w:]
				for c := 0; c < 2 && ox+c < w; c++ {
					if accumulate {
						row[ox+c] += y[2*r+c] + bias
					} else {
						row[ox+c] = y[2*r+c] + bias
					}
				}
			}
		}
	}
}

// transformOutput returns Aᵀ M A, 2×2 row by row, for a transformed tile M.
func transformOutput(m [16]float32) [4]float32 {
	var s [8]float32 // Aᵀ M, two rows of four
	for k := 0; k < 4; k++ {
		m0, m1, m2, m3 := m[k], m[4+k], m[8+k], m[12+k]
		s[k] = m0 + m1 + m2
		s[4+k] = m1 - m2 - m3
	}
	return [4]float32{
		s[0] + s[1] + s[2], s[1] - s[2] - s[3],
		s[4] + s[5] + s[6], s[5] - s[6] - s[7],
	}
}

// Gradient writes A dY Aᵀ, the adjoint of the output transform, for every
// 2×2 block dY of the output gradient plane [h, w] (zero beyond the edges of
// an odd-sized plane): position ξ of tile t goes to m[ξ·ld + t]. With the
// transformed input V it gives the gradient of the transformed kernels,
// dU[ξ] = Σ_t M[ξ, t] V[ξ, t], which KernelGradients turns into the kernels'.
func Gradient(m []float32, ld int, plane []float32, h, w int) {
	th, tw := Tiles(h, w)
	for ty := 0; ty < th; ty++ {
		oy := 2 * ty
		groups := 0
		if vector() && oy+1 < h {
			groups = w / 8
		}
		if groups > 0 {
			gradientRowAVX(&m[ty*tw], ld, &plane[oy*w], w, groups)
		}
		for tx := 4 * groups; tx < tw; tx++ {
			var dy [4]float32
			ox := 2 * tx
			for r := 0; r < 2 && oy+r < h; r++ {
				for c := 0; c < 2 && ox+c < w; c++ {
					dy[2*r+c] = plane[(oy+r)*w+ox+c]
				}
			}
			t := transformGradient(dy)
			for xi, v := range t {
				m[xi*ld+ty*tw+tx] = v
			}
		}
	}
}

// transformGradient returns A dY Aᵀ, row by row, for a 2×2 block dY.
func transformGradient(dy [4]float32) [16]float32 {
	a, b, c, d := dy[0], dy[1], dy[2], dy[3]
	rows := [4][2]float32{{a, b}, {a + c, b + d}, {a - c, b - d}, {0 - c, 0 - d}}
	var m [16]float32
	for i, r := range rows {
		p, q := r[0], r[1]
		m[4*i], m[4*i+1], m[4*i+2], m[4*i+3] = p, p+q, p-q, 0-q
	}
	return m
}

// KernelGradients adds Gᵀ dU G, the adjoint of Kernels, to dw [oc, c, 3, 3]
// for the gradient du [16, oc, c] of the transformed kernels.
func KernelGradients(dw, du []float32, oc, c int) {
	plane := oc * c
	for j := 0; j < plane; j++ {
		var t [12]float32 // Gᵀ dU (3×4), dU read position by position
		for k := 0; k < 4; k++ {
			u0, u1 := du[k*plane+j], du[(4+k)*plane+j]
			u2, u3 := du[(8+k)*plane+j], du[(12+k)*plane+j]
			t[k] = u0 + 0.5*(u1+u2)
			t[4+k] = 0.5 * (u1 - u2)
			t[8+k] = 0.5*(u1+u2) + u3
		}
		g := dw[j*9 : j*9+9]
		for r := 0; r < 3; r++ { // then (Gᵀ dU) G
			u0, u1, u2, u3 := t[4*r], t[4*r+1], t[4*r+2], t[4*r+3]
			g[3*r] += u0 + 0.5*(u1+u2)
			g[3*r+1] += 0.5 * (u1 - u2)
			g[3*r+2] += 0.5*(u1+u2) + u3
		}
	}
}
