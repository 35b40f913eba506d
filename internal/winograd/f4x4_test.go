package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTransforms4Convolve checks that the F(4×4, 3×3) transforms of a 6×6
// tile and a kernel, multiplied and transformed back, give the tile's 4×4
// correlation with the kernel, or with the kernel rotated by 180° for the
// adjoint.
func TestTransforms4Convolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for trial := 0; trial < 20; trial++ {
		d, g := random(rng, 36), random(rng, 9)
		for _, adjoint := range []bool{false, true} {
			u := make([]float32, Positions4)
			Kernels4(u, g, 1, 1, adjoint)
			k := g
			if adjoint {
				k = make([]float32, 9)
				for i := range k {
					k[i] = g[8-i]
				}
			}
			v := transformInput4([36]float32(d))
			var p [36]float32
			for i := range p {
				p[i] = u[i] * v[i]
			}
			y := transformOutput4(p)
			checkCorrelation(t, fmt.Sprintf("adjoint=%v", adjoint), y[:], 4, d, 6, k, 2e-5)
		}
	}
}

// TestKernels4Layout checks that Kernels4 puts kernel (o, i) at o·c + i of
// each position, and its adjoint at i·oc + o.
func TestKernels4Layout(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	oc, c := 3, 2
	w := random(rng, oc*c*9)
	u, adj := make([]float32, Positions4*oc*c), make([]float32, Positions4*oc*c)
	Kernels4(u, w, oc, c, false)
	Kernels4(adj, w, oc, c, true)
	for o := 0; o < oc; o++ {
		for i := 0; i < c; i++ {
			one, oneAdj := make([]float32, Positions4), make([]float32, Positions4)
			Kernels4(one, w[(o*c+i)*9:(o*c+i)*9+9], 1, 1, false)
			Kernels4(oneAdj, w[(o*c+i)*9:(o*c+i)*9+9], 1, 1, true)
			for xi := 0; xi < Positions4; xi++ {
				if u[xi*oc*c+o*c+i] != one[xi] || adj[xi*oc*c+i*oc+o] != oneAdj[xi] {
					t.Fatalf("kernel (%d, %d) position %d misplaced", o, i, xi)
				}
			}
		}
	}
}

// paddedPlanes returns planes zero-padded as Input4 reads them and the
// offsets of every tile of every plane, plane by plane and row by row.
func paddedPlanes(planes [][]float32, h, w int) (src []float32, offs []int32) {
	pitch, rows := Pitch4(w), PaddedRows4(h)
	src = make([]float32, len(planes)*rows*pitch)
	th, tw := Tiles4(h, w)
	for p, plane := range planes {
		base := p * rows * pitch
		for y := 0; y < h; y++ {
			copy(src[base+(y+1)*pitch+1:], plane[y*w:(y+1)*w])
		}
		for ty := 0; ty < th; ty++ {
			for tx := 0; tx < tw; tx++ {
				offs = append(offs, int32(base+4*ty*pitch+4*tx))
			}
		}
	}
	return src, offs
}

// tileCounts covers fewer tiles than one vector group, whole groups and
// partial ones, over planes of both of SimpleCNN's sizes.
var tileCounts = []struct{ planes, h, w int }{
	{1, 4, 4}, {1, 8, 8}, {2, 8, 8}, {3, 8, 8}, {1, 16, 16}, {3, 16, 16}, {2, 12, 20},
}

// TestInput4MatchesTiles checks Input4, on every path, against transforming
// each zero-padded 6×6 window on its own, bit for bit.
func TestInput4MatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, tc := range tileCounts {
			t.Run(fmt.Sprintf("%dx%dx%d", tc.planes, tc.h, tc.w), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(tc.planes), uint64(tc.h*tc.w)))
				planes := make([][]float32, tc.planes)
				for p := range planes {
					planes[p] = random(rng, tc.h*tc.w)
				}
				src, offs := paddedPlanes(planes, tc.h, tc.w)
				ld := len(offs) + 5
				v := make([]float32, Positions4*ld)
				Input4(v, ld, src, NewTileOffsets(offs), Pitch4(tc.w))

				th, tw := Tiles4(tc.h, tc.w)
				for j := range offs {
					p, ty, tx := j/(th*tw), j%(th*tw)/tw, j%tw
					var d [36]float32
					window(d[:], 6, planes[p], tc.h, tc.w, 4*ty-1, 4*tx-1)
					want := transformInput4(d)
					for xi, x := range want {
						if got := v[xi*ld+j]; math.Float32bits(got) != math.Float32bits(x) {
							t.Fatalf("tile %d position %d = %v, want %v", j, xi, got, x)
						}
					}
				}
			})
		}
	})
}

// TestOutput4MatchesTiles checks Output4, writing and accumulating, on every
// path, against transforming each tile's products on its own, bit for bit,
// and that it leaves the values around the tiles alone.
func TestOutput4MatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, tc := range tileCounts {
			for _, accumulate := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d/accumulate=%v", tc.planes, tc.h, tc.w, accumulate)
				t.Run(name, func(t *testing.T) {
					checkOutput4(t, tc.planes, tc.h, tc.w, accumulate)
				})
			}
		}
	})
}

func checkOutput4(t *testing.T, planes, h, w int, accumulate bool) {
	rng := rand.New(rand.NewPCG(uint64(planes), uint64(h*w+1)))
	th, tw := Tiles4(h, w)
	var offs []int32
	stride := h*w + 7 // planes apart, with values between them to keep
	for p := 0; p < planes; p++ {
		for ty := 0; ty < th; ty++ {
			for tx := 0; tx < tw; tx++ {
				offs = append(offs, int32(p*stride+4*ty*w+4*tx))
			}
		}
	}
	ld := len(offs) + 3
	m := random(rng, Positions4*ld)
	dst := random(rng, planes*stride)
	want := slices.Clone(dst)
	const bias = 0.25
	Output4(dst, w, NewTileOffsets(offs), m, ld, bias, accumulate)

	for j, off := range offs {
		var p [36]float32
		for xi := range p {
			p[xi] = m[xi*ld+j]
		}
		y := transformOutput4(p)
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				at := int(off) + r*w + c
				if accumulate {
					want[at] += y[4*r+c] + bias
				} else {
					want[at] = y[4*r+c] + bias
				}
			}
		}
	}
	for i := range want {
		if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
			t.Fatalf("value %d = %v, want %v", i, dst[i], want[i])
		}
	}
}

// TestTransforms4RejectBadOffsets checks that an offset whose window would
// reach past the slice panics instead of reading or writing outside it.
func TestTransforms4RejectBadOffsets(t *testing.T) {
	src, offs := paddedPlanes([][]float32{make([]float32, 64)}, 8, 8)
	v := make([]float32, Positions4*len(offs))
	offs[len(offs)-1] += 3
	assertPanics(t, "Input4", func() { Input4(v, len(offs), src, NewTileOffsets(offs), Pitch4(8)) })

	dst := make([]float32, 64)
	out := []int32{0, 4, 32, 37}
	m := make([]float32, Positions4*len(out))
	assertPanics(t, "Output4", func() { Output4(dst, 8, NewTileOffsets(out), m, len(out), 0, false) })
}

func assertPanics(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// blockOffsets returns the offsets of the 4×4 blocks of planes h×w laid
// stride apart, plane by plane and row by row.
func blockOffsets(planes, h, w, stride int) []int32 {
	th, tw := Tiles4(h, w)
	var offs []int32
	for p := 0; p < planes; p++ {
		for ty := 0; ty < th; ty++ {
			for tx := 0; tx < tw; tx++ {
				offs = append(offs, int32(p*stride+4*ty*w+4*tx))
			}
		}
	}
	return offs
}

// TestGradient4MatchesTiles checks Gradient4, on every path, against
// transforming each 4×4 block on its own, bit for bit.
func TestGradient4MatchesTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, tc := range tileCounts {
			t.Run(fmt.Sprintf("%dx%dx%d", tc.planes, tc.h, tc.w), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(tc.planes), uint64(tc.h*tc.w+2)))
				stride := tc.h*tc.w + 5
				dy := random(rng, tc.planes*stride)
				offs := blockOffsets(tc.planes, tc.h, tc.w, stride)
				ld := len(offs) + 1
				m := make([]float32, Positions4*ld)
				Gradient4(m, ld, dy, tc.w, NewTileOffsets(offs))
				for j, off := range offs {
					var d [16]float32
					for r := 0; r < 4; r++ {
						copy(d[4*r:4*r+4], dy[int(off)+r*tc.w:])
					}
					want := transformGradient4(d)
					for xi, x := range want {
						if got := m[xi*ld+j]; math.Float32bits(got) != math.Float32bits(x) {
							t.Fatalf("tile %d position %d = %v, want %v", j, xi, got, x)
						}
					}
				}
			})
		}
	})
}

// TestGradients4AreAdjoint checks that Gradient4 is the adjoint of Output4 and
// KernelGradients4 that of Kernels4: <Output4(M), dY> = <M, Gradient4(dY)>
// and <Kernels4(g), dU> = <g, KernelGradients4(dU)>.
func TestGradients4AreAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for _, tc := range tileCounts {
		stride := tc.h * tc.w
		offs := blockOffsets(tc.planes, tc.h, tc.w, stride)
		n := len(offs)
		m, dy := random(rng, Positions4*n), random(rng, tc.planes*stride)
		y := make([]float32, tc.planes*stride)
		Output4(y, tc.w, NewTileOffsets(offs), m, n, 0, false)
		dm := make([]float32, Positions4*n)
		Gradient4(dm, n, dy, tc.w, NewTileOffsets(offs))
		if lhs, rhs := dot(y, dy), dot(m, dm); math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: <Output4(M), dY> = %v but <M, Gradient4(dY)> = %v", tc, lhs, rhs)
		}
	}

	const oc, c = 3, 2
	g, du := random(rng, oc*c*9), random(rng, Positions4*oc*c)
	u := make([]float32, Positions4*oc*c)
	Kernels4(u, g, oc, c, false)
	dg := make([]float32, oc*c*9)
	KernelGradients4(dg, du, oc, c)
	if lhs, rhs := dot(u, du), dot(g, dg); math.Abs(lhs-rhs) > 1e-5*(1+math.Abs(lhs)) {
		t.Errorf("<Kernels4(g), dU> = %v but <g, KernelGradients4(dU)> = %v", lhs, rhs)
	}
}

// TestPad4 checks, on every path, that Pad4 copies a plane inside the border
// and leaves the border as it was.
func TestPad4(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		for _, hw := range [][2]int{{8, 8}, {16, 16}, {4, 12}, {3, 5}} {
			h, w := hw[0], hw[1]
			rng := rand.New(rand.NewPCG(uint64(h), uint64(w)))
			plane := random(rng, h*w)
			pitch := Pitch4(w)
			dst := random(rng, PaddedRows4(h)*pitch)
			want := slices.Clone(dst)
			for y := 0; y < h; y++ {
				copy(want[(y+1)*pitch+1:], plane[y*w:(y+1)*w])
			}
			Pad4(dst, plane, h, w)
			if !slices.Equal(dst, want) {
				t.Errorf("%dx%d: padded plane differs", h, w)
			}
		}
	})
}
