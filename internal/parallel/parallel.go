// Package parallel splits loops across goroutines.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int32

// SetThreads sets how many goroutines For uses; n <= 0 restores the default,
// runtime.GOMAXPROCS(0).
func SetThreads(n int) {
	threads.Store(int32(max(n, 0)))
}

// Threads reports how many goroutines For uses.
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// grain is the least work, in element operations, worth handing to one more
// goroutine: waking a sleeping thread costs microseconds, as much as a few
// tens of thousands of simple element operations.
const grain = 1 << 15

// Workers returns how many goroutines to share work element operations
// between: Threads(), fewer when the work is too small to be worth splitting,
// and at least 1.
func Workers(work int) int {
	return max(1, min(Threads(), work/grain))
}

// For calls fn(worker, lo, hi) on disjoint ranges that cover [0, n), one range per
// worker, with at most Threads() workers running at once. Ranges are contiguous and
// assigned in order, so worker w always receives the same range for the same n and
// thread count. It returns when every call has returned.
func For(n int, fn func(worker, lo, hi int)) {
	ForWorkers(n, Threads(), fn)
}

// ForWorkers is For with an explicit worker count.
func ForWorkers(n, workers int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	workers = min(max(workers, 1), n)
	if workers == 1 {
		fn(0, 0, n)
		return
	}

	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		lo, hi := Range(n, workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, lo, hi)
		}()
	}
	lo, hi := Range(n, workers, 0)
	fn(0, lo, hi)
	wg.Wait()
}

// Range returns the half-open range [lo, hi) that worker w of workers receives when
// n items are split as evenly as possible.
func Range(n, workers, w int) (lo, hi int) {
	q, r := n/workers, n%workers
	lo = w*q + min(w, r)
	hi = lo + q
	if w < r {
		hi++
	}
	return lo, hi
}
