package gemm

// PackedA holds op(A) packed once for the micro-kernel in use, so that products
// with many B matrices (one per image of a convolution) do not pack it again.
// The zero value is empty; Pack fills it, reusing its storage.
type PackedA struct {
	kern *microKernel
	m, k int
	data []float32
}

// Pack packs op(A), which is m×k (A is m×k with leading dimension lda, or k×m
// when transA), in the block order SgemmPacked visits: k blocks outer, m blocks
// inner. It panics on inconsistent sizes, as Sgemm does.
func (p *PackedA) Pack(transA bool, m, k int, a []float32, lda int) {
	if m < 0 || k < 0 {
		panic("gemm: negative size in PackedA.Pack")
	}
	rows, cols := m, k
	if transA {
		rows, cols = k, m
	}
	checkMatrix("A", a, rows, cols, lda)
	kern := current.Load()
	p.kern, p.m, p.k = kern, m, k
	p.data = grow(p.data, roundUp(m, kern.mr)*k)
	kcStep, mcStep := split(k, kern.kc, 1), split(m, kern.mc, kern.mr)
	for pc := 0; pc < k; pc += kcStep {
		kc := min(kcStep, k-pc)
		for ic := 0; ic < m; ic += mcStep {
			mc := min(mcStep, m-ic)
			packA(kern, p.data[p.offset(pc, ic, kc):], transA, a, lda, ic, mc, pc, kc)
		}
	}
}

// offset locates the packed block of rows from ic and steps from pc (kc of them).
func (p *PackedA) offset(pc, ic, kc int) int {
	return pc*roundUp(p.m, p.kern.mr) + ic*kc
}

// SgemmPacked computes C = alpha*A*op(B) + beta*C with A packed by p (m×k), op(B) k×n (B is
// k×n with leading dimension ldb, or n×k when transB) and C m×n with leading dimension ldc,
// on the calling goroutine. It uses the micro-kernel p was packed for. beta == 0 means C is
// overwritten.
func SgemmPacked(p *PackedA, transB bool, n int, alpha float32, b []float32, ldb int,
	beta float32, c []float32, ldc int) {
	m, k, kern := p.m, p.k, p.kern
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	checkMatrix("B", b, bRows, bCols, ldb)
	checkMatrix("C", c, m, n, ldc)
	ws := getWorkspace()
	blocked(kern, ws, p, false, transB, m, n, k, alpha, nil, 0, b, ldb, beta, c, ldc)
	putWorkspace(ws)
}
