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

// freeList holds recycled buffers of one element type by size class.
type freeList[T any] map[int][][]T

// take removes and returns a free buffer of class c or of a larger class up to
// 2c (so that, say, the activations of a short last batch reuse those of a
// full one), or nil.
func (f freeList[T]) take(c int) []T {
	for k := c; k <= 2*c; k = sizeClass(k + 1) {
		if free := f[k]; len(free) > 0 {
			b := free[len(free)-1]
			f[k] = free[:len(free)-1]
			return b
		}
	}
	return nil
}

type bufferPool struct {
	mu   sync.Mutex
	f32  freeList[float32]
	i32  freeList[int32]
	held int // float32 and int32 elements held
}

var pool = bufferPool{f32: freeList[float32]{}, i32: freeList[int32]{}}

// sizeClass rounds n up to the next of 4·2ᵏ, 5·2ᵏ, 6·2ᵏ, 7·2ᵏ.
func sizeClass(n int) int {
	if n <= 8 {
		return n
	}
	shift := bits.Len(uint(n)) - 3 // keep the top three bits
	return (n + 1<<shift - 1) >> shift << shift
}

// alloc returns a buffer of n elements with arbitrary contents from f, or a new
// one.
func alloc[T any](f freeList[T], n int) []T {
	if n < poolMin {
		return make([]T, n)
	}
	c := sizeClass(n)
	pool.mu.Lock()
	b := f.take(c)
	if b != nil {
		pool.held -= cap(b)
	}
	pool.mu.Unlock()
	if b == nil {
		return make([]T, n, c)
	}
	return b[:n]
}

// release returns b to f; b must not be used afterwards.
func release[T any](f freeList[T], b []T) {
	c := cap(b)
	if c < poolMin || c != sizeClass(c) {
		return
	}
	pool.mu.Lock()
	f[c] = append(f[c], b[:c])
	pool.held += c
	pool.mu.Unlock()
}

// allocF32 returns a zero-filled buffer of n values.
func allocF32(n int) []float32 {
	b := allocF32Dirty(n)
	clear(b)
	return b
}

// allocF32Dirty returns a buffer of n values with arbitrary contents, for
// callers that overwrite every element.
func allocF32Dirty(n int) []float32 { return alloc(pool.f32, n) }

// freeF32 returns b to the pool; b must not be used afterwards.
func freeF32(b []float32) { release(pool.f32, b) }

// allocI32 returns an int32 buffer of n values with arbitrary contents.
func allocI32(n int) []int32 { return alloc(pool.i32, n) }

// freeI32 returns b to the pool; b must not be used afterwards.
func freeI32(b []int32) { release(pool.i32, b) }

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
