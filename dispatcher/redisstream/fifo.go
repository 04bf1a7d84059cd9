package redisstream

import "time"

// fifoPolicy is the default policy: entries start one at a time, in the
// order the batches were pushed, on as many workers as are free. With one
// worker, the entries of a stream run in stream order (redeliveries aside).
// It takes a batch while one more batch of batchSize fits in limit entries,
// so it holds at most limit entries (and at least one batch).
type fifoPolicy struct {
	batchSize, limit int
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

// next returns the first entry queued.
func (f *fifoPolicy) next(time.Time) (job, bool) {
	if f.n == 0 {
		return job{}, false
	}
	head := &f.queue[0]
	u := job{stream: head.stream, entries: head.entries[:1:1]}
	head.entries = head.entries[1:]
	if len(head.entries) == 0 {
		f.queue[0] = job{}
		f.queue = f.queue[1:]
	}
	f.n--
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
