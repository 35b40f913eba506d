package gemm

// packA copies the mc×kc block of op(A) starting at row i0, column p0 into dst as panels of mr
// rows: panel q holds rows i0+q*mr.. as kc steps of mr contiguous floats, zero padded past mc.
func packA(kern *microKernel, dst []float32, transA bool, a []float32, lda, i0, mc, p0, kc int) {
	mr := kern.mr

	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		if transA {
			// op(A)[i][p] = a[p*lda+i]: each step is a contiguous run of A.
			copySteps(panel, mr, a, (p0)*lda+i0+ir, lda, rows, kc)
			continue
		}

		// op(A)[i][p] = a[i*lda+p]: row r of A fills slot r of every step.
		interleave(kern, panel, mr, a, (i0+ir)*lda+p0, lda, rows, kc)
	}
}

// packB copies the kc×nc block of op(B) starting at row p0, column j0 into dst as panels of nr
// columns: panel q holds columns j0+q*nr.. as kc steps of nr contiguous floats, zero padded.
func packB(kern *microKernel, dst []float32, transB bool, b []float32, ldb, p0, kc, j0, nc int) {
	nr := kern.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !transB {
			// op(B)[p][j] = b[p*ldb+j]: each step is a contiguous run of B.
			if off := p0*ldb + j0 + jr; cols == nr && kern.copyPanel != nil && kc > 0 {
				_ = b[off+(kc-1)*ldb+nr-1]
				kern.copyPanel(&panel[0], &b[off], ldb*4, kc)
				continue
			}
			copySteps(panel, nr, b, p0*ldb+j0+jr, ldb, cols, kc)
			continue
		}

		// op(B)[p][j] = b[j*ldb+p]: row j of B fills slot j of every step.
		interleave(kern, panel, nr, b, (j0+jr)*ldb+p0, ldb, cols, kc)
	}
}

// copySteps fills panel (kc steps of width floats) with step p = src[off+p*ld : +valid],
// zero padded to width.
func copySteps(panel []float32, width int, src []float32, off, ld, valid, kc int) {
	for p := 0; p < kc; p++ {
		step := panel[p*width : p*width+width]
		copy(step, src[off+p*ld:off+p*ld+valid])
		if valid < width {
			clear(step[valid:])
		}
	}
}

// interleave fills panel (kc steps of width floats) so that slot r of step p is
// src[off+r*ld+p] for r < valid, and zero for valid <= r < width. The helper of kern for the
// width, when set (interleave6 for width 6, transpose for multiples of 8), fills whole blocks
// of eight steps, and interleaveSteps the remaining steps.
func interleave(kern *microKernel, panel []float32, width int, src []float32, off, ld, valid,
	kc int) {
	blocks := kc / 8
	if blocks == 0 || valid <= 0 {
		interleaveSteps(panel, width, src, off, ld, valid, 0, kc)
		return
	}

	// the helpers read steps p < 8*blocks of rows r < valid and write the steps they fill.
	_ = src[off+(valid-1)*ld+kc-1]
	_ = panel[kc*width-1]
	switch {
	case width == 6 && kern.interleave6 != nil:
		kern.interleave6(&panel[0], &src[off], ld*4, valid, blocks)
	case width%8 == 0 && kern.transpose != nil:
		// eight slots at a time; groups past valid read nothing and write zeros.
		for r := 0; r < width; r += 8 {
			rows := min(max(valid-r, 0), 8)
			kern.transpose(&panel[r], width*4, &src[off+min(r, valid-1)*ld], ld*4, rows, blocks)
		}
	default:
		blocks = 0
	}
	interleaveSteps(panel, width, src, off, ld, valid, blocks*8, kc)
}

// interleaveSteps is interleave in plain Go for steps p0 to kc only. It is the reference the
// helpers are tested against.
func interleaveSteps(panel []float32, width int, src []float32, off, ld, valid, p0, kc int) {
	// groups of eight source rows stream together into eight adjacent slots.
	r := 0
	for ; r+8 <= valid; r += 8 {
		o := off + r*ld
		s0 := src[o : o+kc]
		s1 := src[o+ld : o+ld+kc]
		s2 := src[o+2*ld : o+2*ld+kc]
		s3 := src[o+3*ld : o+3*ld+kc]
		s4 := src[o+4*ld : o+4*ld+kc]
		s5 := src[o+5*ld : o+5*ld+kc]
		s6 := src[o+6*ld : o+6*ld+kc]
		s7 := src[o+7*ld : o+7*ld+kc]
		for p := p0; p < kc; p++ {
			d := panel[p*width+r : p*width+r+8 : p*width+r+8]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
			d[4], d[5], d[6], d[7] = s4[p], s5[p], s6[p], s7[p]
		}
	}

	// leftover rows one at a time, then the zero padding.
	for ; r < valid; r++ {
		o := off + r*ld
		for p, v := range src[o+p0 : o+kc] {
			panel[(p0+p)*width+r] = v
		}
	}
	if valid < width {
		for p := p0; p < kc; p++ {
			clear(panel[p*width+valid : p*width+width])
		}
	}
}
