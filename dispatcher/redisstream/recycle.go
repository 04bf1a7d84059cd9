package redisstream

import "sync"

// minRecycled is the smallest capacity of an array of outcomes, so that one
// array fits most jobs and can be reused for any of them.
const minRecycled = 32

// recycler hands the workers the arrays in which they record the outcomes
// of a job (result.done), and takes them back from the settler once it
// settled the job: a steady flow of messages then allocates none, and the
// Messages built in them (see handled) cost no allocation either. That
// halves the garbage collections of a busy Processor.
//
// An array is put back only once nothing of the pipeline refers to it any
// more: the handlers have returned (a Message must not be kept after
// Handle or HandleBatch returns), the Observer was told (it must not keep
// msg either), the dead letters are written. A result the scheduler drops
// (a retry in place) or discards (an aborted stop) is never put back.
type recycler struct{ pool sync.Pool }

// get returns an array of n zero outcomes.
func (r *recycler) get(n int) []handled {
	if p, _ := r.pool.Get().(*[]handled); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]handled, n, max(n, minRecycled))
}

// put zeroes h, dropping what it refers to, and keeps it for a later get.
func (r *recycler) put(h []handled) {
	h = h[:cap(h)]
	clear(h)
	r.pool.Put(&h)
}
