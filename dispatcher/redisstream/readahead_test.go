package redisstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// TestReadAheadNotReclaimed has entries wait, read but not started, for
// longer than MinIdle behind one slow handler: in the batch being handed
// out, in the batch read ahead, and in the worker queue. The reclaim loop
// runs meanwhile and must leave them alone: each entry runs exactly once.
func TestReadAheadNotReclaimed(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "ahead"
	ids := publish(t, rdb, stream, "tick", 12)
	rec := newRecorder()
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		time.Sleep(60 * time.Millisecond)
		return rec.handler(ctx, msg)
	})
	cfg := fastConfig(t, stream)
	cfg.BatchSize, cfg.Concurrency = 2, 1
	cfg.MinIdle, cfg.ReclaimInterval = 100*time.Millisecond, 20*time.Millisecond
	p := startProcessor(t, rdb, d, cfg)
	eventually(t, "every entry is handled and acked", func() bool {
		return rec.handledAll(ids) && pending(t, rdb, stream, "g") == 0
	})
	stop(t, p)
	rec.exactlyOnce(t, ids)
}
