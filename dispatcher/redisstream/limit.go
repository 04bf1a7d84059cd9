package redisstream

import "context"

// limit is a counting semaphore of handler runs, shared by the Processors
// of the partitions one PartitionedProcessor owns, so that its Concurrency
// bounds the handlers running at once in the consumer as a whole, however
// many partitions it owns (each partition's Processor keeps Concurrency
// workers, so that one busy partition may use every slot).
type limit chan struct{}

// acquire waits for a slot of w's limit, if it has one, and reports whether
// it got one; false if ctx ended first (an aborted stop).
func (w *workers) acquire(ctx context.Context) bool {
	if w.cfg.limit == nil {
		return true
	}
	select {
	case w.cfg.limit <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// release frees the slot acquire took.
func (w *workers) release() {
	if w.cfg.limit != nil {
		<-w.cfg.limit
	}
}
