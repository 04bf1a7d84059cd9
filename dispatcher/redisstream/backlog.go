package redisstream

import (
	"time"

	"go.uber.org/zap"
)

// backlogBlock is the BLOCK of a backlog read: Redis answers at once when
// there are entries, and a read that blocks is not retried by go-redis after
// a timeout (see readBatch).
const backlogBlock = time.Millisecond

// backlogReader is a second reader of one stream, for when the stream has a
// backlog and the handlers keep up. Each time the stream's reader reads a
// full batch while the worker queue is at most half full, it wakes the
// backlog reader, which reads one more batch. The two readers' reads then
// overlap: Redis prepares one batch while this process decodes and queues
// the other, where one reader would leave each waiting on the other. An
// idle stream, or one whose handlers are behind, holds no connection for
// it, and it holds at most one batch beyond the stream's reader.
//
// Its batches and the reader's reach the worker queue interleaved, which is
// why it runs only with Concurrency > 1, where the handling order was
// never the stream order anyway.
type backlogReader struct {
	r      *run
	stream string
	woken  chan struct{} // holds one wake-up at most
}

func newBacklogReader(r *run, stream string) *backlogReader {
	return &backlogReader{r: r, stream: stream, woken: make(chan struct{}, 1)}
}

// wake asks for one more read, unless one is already due. A nil
// backlogReader ignores it.
func (b *backlogReader) wake() {
	if b == nil {
		return
	}
	select {
	case b.woken <- struct{}{}:
	default:
	}
}

// run reads one batch for each wake-up until reading stops. A failed read
// is logged and dropped: the stream's reader meets the same Redis, and
// reports, backs off or recreates the group.
func (b *backlogReader) run() {
	r := b.r
	defer r.loops.Done()
	for {
		select {
		case <-b.woken:
		case <-r.readCtx.Done():
			return
		}
		batch, err := r.readBatch(b.stream, ">", backlogBlock)
		if err != nil {
			if r.readCtx.Err() == nil {
				r.p.log.Warn("backlog read failed; the stream's reader goes on alone",
					zap.String("stream", b.stream), zap.Error(err))
			}
			continue
		}
		r.dispatch(b.stream, batch.entries)
	}
}

// readBound reports whether the handlers keep up with the reads: the
// scheduler holds at most half of what it takes. Only then is reading ahead
// worth it; when the handlers are behind, it would only hold more entries
// out of other consumers' reach.
func (r *run) readBound() bool { return r.sched.readBound() }
