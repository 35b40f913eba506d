package tensor

import "testing"

func TestSizeClass(t *testing.T) {
	for n := 1; n < 1<<20; n += 1 + n/7 {
		c := sizeClass(n)
		if c < n || (n > 8 && float64(c) > 1.25*float64(n)) || sizeClass(c) != c {
			t.Fatalf("sizeClass(%d) = %d", n, c)
		}
	}
}

func TestPoolReusesBuffers(t *testing.T) {
	TrimPool()
	defer TrimPool()

	// a freed buffer serves the next request of its class
	a := allocF32Dirty(100000)
	a[0] = 7
	freeF32(a)
	b := allocF32Dirty(99000)
	if &b[0] != &a[0] {
		t.Fatal("a buffer of the same class was not reused")
	}

	// a smaller request (a short last batch) takes a buffer up to twice its size
	freeF32(b)
	c := allocF32(60000)
	if &c[0] != &a[0] || c[0] != 0 || len(c) != 60000 {
		t.Fatal("a larger free buffer was not reused, or not cleared")
	}

	// but not a buffer more than twice as large
	freeF32(c)
	d := allocF32Dirty(20000)
	if &d[0] == &a[0] {
		t.Fatal("a buffer five times too large was handed out")
	}
	if PoolBytes() != int64(cap(a))*4 {
		t.Fatalf("pool holds %d bytes, want %d", PoolBytes(), cap(a)*4)
	}
}
