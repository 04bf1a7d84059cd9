package redisstream

import "time"

// fifoPolicy is the default policy: entries start in the order the
// batches were pushed, on as many workers as are free. With one worker, the
// entries of a stream run in stream order (redeliveries aside). It takes a
// batch while one more batch of batchSize fits in limit entries, so it
// holds at most limit entries (and at least one batch).
//
// A job is one entry, or, when spread is set, a run of consecutive entries
// of one batch: the entries queued divided by spread, rounded up, so that
// a backlog goes to the workers in about spread jobs, each a single hop
// through the scheduler instead of one per entry, while a short queue
// still goes one entry per job to as many workers as are free. A worker
// runs the entries of its job one after the other: a slow handler delays
// the rest of its job, not the other workers.
type fifoPolicy struct {
	batchSize, limit int
	spread           int   // jobs to split the queue into; 0 or 1: one entry per job
	queue            []job // batches pushed, the first one partly started
	n                int   // entries in queue
}

// newFIFO returns a FIFO policy that holds up to limit entries, taken in
// batches of up to batchSize.
func newFIFO(batchSize, limit int) *fifoPolicy {
	return &fifoPolicy{batchSize: batchSize, limit: max(limit, batchSize)}
}

// push queues the batch u.
func (f *fifoPolicy) push(u job) {
	if len(u.entries) == 0 {
		return
	}
	f.queue = append(f.queue, u)
	f.n += len(u.entries)
}

// full reports whether a batch of batchSize more would not fit in limit.
func (f *fifoPolicy) full() bool { return f.n > f.limit-f.batchSize }

// next returns the first entries queued: one, or with spread set, the
// entries queued divided by spread, rounded up, of the first batch.
func (f *fifoPolicy) next(time.Time) (job, bool) {
	if f.n == 0 {
		return job{}, false
	}
	head := &f.queue[0]
	k := 1
	if f.spread > 1 {
		k = min((f.n+f.spread-1)/f.spread, len(head.entries))
	}
	u := job{stream: head.stream, entries: head.entries[:k:k]}
	head.entries = head.entries[k:]
	if len(head.entries) == 0 {
		f.queue[0] = job{}
		f.queue = f.queue[1:]
	}
	f.n -= k
	return u, true
}

// done lets every job be settled.
func (f *fifoPolicy) done(*result, time.Time) bool { return true }

// wake returns the zero time: a FIFO never waits for a time.
func (f *fifoPolicy) wake() time.Time { return time.Time{} }

// held returns how many entries are queued.
func (f *fifoPolicy) held() int { return f.n }

// drain returns the queued entries and empties the queue.
func (f *fifoPolicy) drain() []job {
	q := f.queue
	f.queue, f.n = nil, 0
	return q
}
