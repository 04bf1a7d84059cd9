package redisstream

import "go.uber.org/zap"

// backlogReader is a second reader of one stream that runs only while the
// stream has a backlog and the handlers keep up. The stream's reader wakes
// it whenever a read returns a full batch while the worker queue is at most
// half full; it then reads new entries without blocking, each read
// overlapping the reader's own, for as long as that holds. While Redis prepares one batch, the other is being decoded and
// queued, so neither Redis nor this process waits on the other. An idle
// stream holds no connection for it.
//
// Its batches and the reader's reach the worker queue interleaved, which is
// why it runs only with Concurrency > 1, where the handling order was
// never the stream order anyway. Errors end the burst: the reader meets
// them too, and reports, backs off or recreates the group.
type backlogReader struct {
	r      *run
	stream string
	woken  chan struct{} // holds one wake-up at most
}

func newBacklogReader(r *run, stream string) *backlogReader {
	return &backlogReader{r: r, stream: stream, woken: make(chan struct{}, 1)}
}

// wake starts a burst of reads, unless one is running or already due. A
// nil backlogReader ignores it.
func (b *backlogReader) wake() {
	if b == nil {
		return
	}
	select {
	case b.woken <- struct{}{}:
	default:
	}
}

// run waits for wake-ups and reads a burst for each, until reading stops.
func (b *backlogReader) run() {
	r := b.r
	defer r.loops.Done()
	for {
		select {
		case <-b.woken:
		case <-r.readCtx.Done():
			return
		}
		b.burst()
	}
}

// burst reads new entries without blocking and queues them, until a read
// returns less than a full batch, fails, or reading stops, or the handlers
// fall behind (see readBound).
func (b *backlogReader) burst() {
	r := b.r
	for r.readCtx.Err() == nil {
		batch, err := r.readBatch(b.stream, ">", false)
		if err != nil {
			if r.readCtx.Err() == nil {
				r.p.log.Debug("backlog read failed; the stream's reader goes on alone",
					zap.String("stream", b.stream), zap.Error(err))
			}
			return
		}
		more := len(batch.entries) == r.cfg.BatchSize && r.readBound()
		r.dispatch(b.stream, batch.entries)
		if !more {
			return
		}
	}
}

// readBound reports whether the handlers keep up with the reads: the worker
// queue is at most half full when a batch arrives. Only then is reading
// ahead worth it; when the handlers are behind, it would only hold more
// entries out of other consumers' reach.
func (r *run) readBound() bool { return len(r.jobs) <= cap(r.jobs)/2 }
