package redisstream

import (
	"context"
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
	r     *reader       // the stream's reader, whose reads it shares
	woken chan struct{} // holds one wake-up at most
}

// newBacklogReader returns the backlog reader of r's stream.
func newBacklogReader(r *reader) *backlogReader {
	return &backlogReader{r: r, woken: make(chan struct{}, 1)}
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

// run reads one batch for each wake-up until ctx ends. A failed read is
// logged and dropped: the stream's reader meets the same Redis, and
// reports, backs off or recreates the group.
func (b *backlogReader) run(ctx context.Context) error {
	r := b.r
	for {
		select {
		case <-b.woken:
		case <-ctx.Done():
			return nil
		}
		batch, err := r.readBatch(ctx, ">", backlogBlock)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("backlog read failed; the stream's reader goes on alone",
					zap.String("stream", r.stream), zap.Error(err))
			}
			continue
		}
		r.feed.fresh(ctx, r.stream, batch.entries)
	}
}
