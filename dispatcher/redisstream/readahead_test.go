package redisstream_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
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
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		time.Sleep(60 * time.Millisecond)
		return rec.Handle(ctx, msg)
	})
	cfg := fastConfig(t, stream)
	cfg.BatchSize, cfg.Concurrency = 2, 1
	cfg.MinIdle, cfg.ReclaimInterval = 100*time.Millisecond, 20*time.Millisecond
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "every entry is handled and acked", func() bool {
		return rec.HandledAll(streamtest.Entries(stream, ids)) && pending(t, rdb, stream, "g") == 0
	})
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
}

// TestAbortStartsNoQueuedEntry fills the worker queue behind two handlers
// that block until cancelled, then stops with a deadline that passes: the
// workers freed by the cancellation must give the queued entries back
// instead of running them, and a second life handles every entry once.
func TestAbortStartsNoQueuedEntry(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "queued"
	ids := publish(t, rdb, stream, "tick", 30)
	rec := new(streamtest.Recorder)
	var starts atomic.Int64
	var firstLife atomic.Bool
	firstLife.Store(true)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		if firstLife.Load() {
			starts.Add(1)
			<-ctx.Done()
			return ctx.Err()
		}
		return rec.Handle(ctx, msg)
	})
	cfg := fastConfig(t, stream)
	cfg.BatchSize, cfg.Concurrency = 10, 2
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "both workers are busy", func() bool { return starts.Load() == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if n := starts.Load(); n != 2 {
		t.Errorf("%d handlers started in the first life, want 2", n)
	}
	if n := pending(t, rdb, stream, "g"); n == 0 {
		t.Errorf("nothing pending after the aborted stop")
	}
	firstLife.Store(false)
	p2 := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "every entry succeeded", func() bool { return rec.HandledAll(streamtest.Entries(stream, ids)) })
	streamtest.Stop(t, p2)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
}
