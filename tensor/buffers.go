package tensor

import (
	"math/bits"
	"sync"
)

// Large buffers are recycled rather than left to the garbage collector: a
// training step allocates hundreds of megabytes of activations and gradients,
// and fresh memory costs a page fault per page on first touch, which on
// virtual machines costs more than the arithmetic of the step. Buffers are kept
// in size classes (four per power of two, so at most 25% is wasted) and handed
// out again by later steps of the same shapes.

// poolMin is the smallest buffer worth recycling; smaller ones are left to the
// garbage collector.
const poolMin = 1 << 12

type bufferPool struct {
	mu   sync.Mutex
	f32  map[int][][]float32
	i32  map[int][][]int32
	held int // float32 and int32 elements held
}

var pool = bufferPool{f32: map[int][][]float32{}, i32: map[int][][]int32{}}

// sizeClass rounds n up to the next of 4·2ᵏ, 5·2ᵏ, 6·2ᵏ, 7·2ᵏ.
func sizeClass(n int) int {
	if n <= 8 {
		return n
	}
	shift := bits.Len(uint(n)) - 3 // keep the top three bits
	c := (n + 1<<shift - 1) >> shift << shift
	return c
}

// allocF32 returns a zero-filled buffer of n values.
func allocF32(n int) []float32 {
	b := allocF32Dirty(n)
	clear(b)
	return b
}

// allocF32Dirty returns a buffer of n values with arbitrary contents, for
// callers that overwrite every element.
func allocF32Dirty(n int) []float32 {
	if n < poolMin {
		return make([]float32, n)
	}
	c := sizeClass(n)
	pool.mu.Lock()
	if free := pool.f32[c]; len(free) > 0 {
		b := free[len(free)-1]
		pool.f32[c] = free[:len(free)-1]
		pool.held -= c
		pool.mu.Unlock()
		return b[:n]
	}
	pool.mu.Unlock()
	return make([]float32, n, c)
}

// freeF32 returns b to the pool; b must not be used afterwards.
func freeF32(b []float32) {
	c := cap(b)
	if c < poolMin || c != sizeClass(c) {
		return
	}
	pool.mu.Lock()
	pool.f32[c] = append(pool.f32[c], b[:c])
	pool.held += c
	pool.mu.Unlock()
}

// allocI32 returns an int32 buffer of n values with arbitrary contents.
func allocI32(n int) []int32 {
	if n < poolMin {
		return make([]int32, n)
	}
	c := sizeClass(n)
	pool.mu.Lock()
	if free := pool.i32[c]; len(free) > 0 {
		b := free[len(free)-1]
		pool.i32[c] = free[:len(free)-1]
		pool.held -= c
		pool.mu.Unlock()
		return b[:n]
	}
	pool.mu.Unlock()
	return make([]int32, n, c)
}

func freeI32(b []int32) {
	c := cap(b)
	if c < poolMin || c != sizeClass(c) {
		return
	}
	pool.mu.Lock()
	pool.i32[c] = append(pool.i32[c], b[:c])
	pool.held += c
	pool.mu.Unlock()
}

// PoolBytes reports how many bytes of recycled buffers are waiting for reuse.
func PoolBytes() int64 {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return int64(pool.held) * 4
}

// TrimPool drops every recycled buffer, leaving them to the garbage collector.
func TrimPool() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	clear(pool.f32)
	clear(pool.i32)
	pool.held = 0
}
