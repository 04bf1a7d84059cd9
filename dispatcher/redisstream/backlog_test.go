package redisstream_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// backlogReads is a go-redis hook that counts the XREADGROUP calls for new
// entries (">") with BLOCK 1 (ms): only the backlog reader makes them (the
// stream's reader blocks for Block, 50 ms in these tests, and reads its
// history at "0" without BLOCK).
type backlogReads struct{ n atomic.Int64 }

func (*backlogReads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (*backlogReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *backlogReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "xreadgroup" && isBacklogRead(cmd.Args()) {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

// isBacklogRead reports whether args are those of an XREADGROUP for new
// entries with BLOCK 1.
func isBacklogRead(args []any) bool {
	if args[len(args)-1] != ">" {
		return false
	}
	for i, a := range args[:len(args)-1] {
		if s, ok := a.(string); ok && strings.EqualFold(s, "block") {
			return args[i+1] == int64(1)
		}
	}
	return false
}

// countBacklogReads returns a client of srv that counts backlog reads.
func countBacklogReads(t testing.TB, srv *redistest.Server) (*redis.Client, *backlogReads) {
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	reads := &backlogReads{}
	rdb.AddHook(reads)
	return rdb, reads
}

// TestBacklogReader consumes a stream with and without a backlog, with one
// handler and with several. The backlog reader must read ahead only under
// a backlog with Concurrency > 1, each entry must still run exactly once,
// and with one handler the entries must run in stream order.
func TestBacklogReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		entries     int
		concurrency int
		wantReads   bool // the backlog reader reads ahead
	}{
		{name: "backlog, 4 handlers", entries: 500, concurrency: 4, wantReads: true},
		{name: "backlog, 1 handler", entries: 500, concurrency: 1, wantReads: false},
		{name: "less than a batch, 4 handlers", entries: 7, concurrency: 4, wantReads: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newRedis(t)
			rdb, reads := countBacklogReads(t, srv)
			const stream = "backlog"
			ids := publish(t, rdb, stream, "tick", tt.entries)

			rec := new(streamtest.Recorder)
			d := counted(rec, "tick")
			cfg := fastConfig(t, stream)
			cfg.Concurrency = tt.concurrency
			p := streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "every entry is handled and acked", func() bool {
				return rec.HandledAll(streamtest.Entries(stream, ids)) && pending(t, rdb, stream, "g") == 0
			})
			streamtest.Stop(t, p)

			rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
			if tt.concurrency == 1 && !slices.Equal(rec.Runs(), streamtest.Entries(stream, ids)) {
				t.Errorf("one handler ran the entries out of stream order")
			}
			if n := reads.n.Load(); (n > 0) != tt.wantReads {
				t.Errorf("backlog reads = %d, want any: %v", n, tt.wantReads)
			}
		})
	}
}

// TestBacklogReaderHoldsOneBatch has every handler stuck behind a backlog:
// the backlog reader must read one batch, when the queue is empty at first,
// and no more, so the Processor holds at most one batch more than the
// reader alone would, never the rest of the stream. Released, every entry
// runs once.
func TestBacklogReaderHoldsOneBatch(t *testing.T) {
	t.Parallel()
	srv, _ := newRedis(t)
	rdb, reads := countBacklogReads(t, srv)
	const stream = "stuck"
	ids := publish(t, rdb, stream, "tick", 100)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		<-release
		return rec.Handle(ctx, msg)
	})
	cfg := fastConfig(t, stream) // BatchSize 10: a queue of 10
	cfg.Concurrency = 2
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	t.Cleanup(free) // runs before Shutdown, after a failed wait too

	// The reader alone would hold two batches of 10: 2 running, 10 queued,
	// 8 waiting for room. The backlog reader adds its one batch (30), or,
	// when its entries reached the queue before all of the reader's first
	// batch did, keeps the reader from reading its second (20).
	const alone, most = 2 * 10, 3 * 10
	eventually(t, "the Processor holds what it can", func() bool {
		return pending(t, rdb, stream, "g") >= alone
	})
	time.Sleep(2 * cfg.MinIdle) // reads and reclaims run meanwhile
	if n := pending(t, rdb, stream, "g"); n < alone || n > most {
		t.Errorf("pending entries with stuck handlers = %d, want %d to %d", n, alone, most)
	}
	if n := reads.n.Load(); n != 1 {
		t.Errorf("backlog reads with stuck handlers = %d, want 1", n)
	}
	free()
	eventually(t, "every entry is handled and acked", func() bool {
		return rec.HandledAll(streamtest.Entries(stream, ids)) && pending(t, rdb, stream, "g") == 0
	})
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
}
