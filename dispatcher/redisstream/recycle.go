package redisstream

import "math/bits"

// sizeClasses is how many capacities of arrays of outcomes are kept: each
// power of two from 1 to 1<<(sizeClasses-1). A larger array (a big batch
// route's) is left to the garbage collector.
const sizeClasses = 11

// recycler hands the workers the arrays in which they record the outcomes
// of a job (result.done), and takes them back from the settler once it
// settled the job: a steady flow of messages then allocates none, and the
// Messages built in them (see handled) cost no allocation either.
//
// It keeps arrays by size class, a power of two, so that a job of one entry
// takes an array of one. Unlike a sync.Pool, a garbage collection does not
// empty it, so a busy Processor, which collects often, still reuses its
// arrays; as it allocates only when no array of the class is free, it keeps
// about as many as the pipeline held at once. Every array it keeps is zero.
//
// An array is put back only once nothing of the pipeline refers to it any
// more: the handlers have returned (a Message must not be kept after
// Handle or HandleBatch returns), the Observer was told (it must not keep
// msg either), the dead letters are written, the completion markers of a
// run kept for a retry in place are queued. A result the scheduler
// discards (an aborted stop) is never put back.
type recycler struct{ free [sizeClasses]chan []handled }

// newRecycler returns a recycler for a pipeline that holds up to held
// entries at once: it keeps up to 2*held arrays of one entry, held of two,
// and so on.
func newRecycler(held int) *recycler {
	r := &recycler{}
	for c := range r.free {
		r.free[c] = make(chan []handled, 2*held>>c+2)
	}
	return r
}

// sizeClass returns the size class of an array of n outcomes, sizeClasses
// when n is above the largest.
func sizeClass(n int) int { return min(bits.Len(uint(n-1)), sizeClasses) }

// get returns an array of n zero outcomes.
func (r *recycler) get(n int) []handled {
	c := sizeClass(n)
	if c == sizeClasses {
		return make([]handled, n)
	}
	select {
	case h := <-r.free[c]:
		return h[:n]
	default:
		return make([]handled, n, 1<<c)
	}
}

// put zeroes h, dropping what it refers to, and keeps it for a later get,
// unless enough of its size are kept. Only h[:len(h)] was written since
// get, so only that part is zeroed.
func (r *recycler) put(h []handled) {
	c := sizeClass(cap(h))
	if c == sizeClasses || cap(h) != 1<<c {
		return
	}
	clear(h)
	select {
	case r.free[c] <- h[:0]:
	default:
	}
}
