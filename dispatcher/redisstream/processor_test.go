package redisstream_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestPlainFlow publishes entries before and after Start and checks that
// each one is handled exactly once and acked, with batches smaller than,
// equal to and larger than the XREADGROUP COUNT.
func TestPlainFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		before, after int
		batch         int
		concurrency   int
	}{
		{name: "few", before: 3, after: 3, batch: 10, concurrency: 4},
		{name: "more than COUNT", before: 95, after: 57, batch: 7, concurrency: 4},
		{name: "one worker", before: 20, after: 20, batch: 3, concurrency: 1},
		{name: "wide pool", before: 300, after: 200, batch: 50, concurrency: 32},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "plain:" + tt.name
			rec := new(streamtest.Recorder)
			ids := publish(t, rdb, stream, "tick", tt.before)
			cfg := fastConfig(t, stream)
			cfg.BatchSize, cfg.Concurrency = tt.batch, tt.concurrency
			p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), cfg)
			ids = append(ids, publish(t, rdb, stream, "tick", tt.after)...)
			eventually(t, "every entry is handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, ids)) })
			eventually(t, "every entry is acked", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p)
			rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
			for _, id := range ids {
				if a := rec.Attempts(streamtest.Entry{Stream: stream, ID: id}); a[0] != 1 {
					t.Errorf("entry %s: attempt %v, want 1", id, a)
				}
			}
		})
	}
}

// TestConcurrency checks that handlers run in parallel up to Concurrency and
// never beyond, and that handlers stuck forever do not stop the others.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const workers, stuck, n = 4, 2, 60
	var running, peak, stuckRunning atomic.Int64
	rec := new(streamtest.Recorder)
	release := make(chan struct{})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("stuck", func(ctx context.Context, msg *dispatcher.Message) error {
		stuckRunning.Add(1)
		select { // blocks until the test ends
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	d.OnFunc("work", func(ctx context.Context, msg *dispatcher.Message) error {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			old := peak.Load()
			if now <= old || peak.CompareAndSwap(old, now) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		return rec.Handle(ctx, msg)
	})
	// The stuck entries first, alone: the order in which the entries of
	// several reads reach the workers is not promised.
	publish(t, rdb, "conc", "stuck", stuck)
	cfg := fastConfig(t, "conc")
	cfg.Concurrency, cfg.BatchSize = workers, 5
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "both stuck entries run", func() bool { return stuckRunning.Load() == stuck })
	want := streamtest.Entries("conc", publish(t, rdb, "conc", "work", n))
	eventually(t, "every work entry is handled", func() bool { return rec.HandledAll(want) })
	eventually(t, "only the stuck entries are pending", func() bool { return pending(t, rdb, "conc", "g") == stuck })
	close(release)
	eventually(t, "stuck entries acked once released", func() bool { return pending(t, rdb, "conc", "g") == 0 })
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, want)
	if got := peak.Load(); got < 2 || got > workers-stuck {
		t.Errorf("peak concurrency of work handlers = %d, want 2..%d", got, workers-stuck)
	}
}

// TestHotPathRoundTrips consumes entries published beforehand and counts
// the commands Redis received: acknowledgements are batched (far fewer XACK
// than entries), and fresh entries need no XPENDING or XCLAIM.
func TestHotPathRoundTrips(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream, n = "hot", 1000
	ids := publish(t, rdb, stream, "tick", n)
	rec := new(streamtest.Recorder)
	cfg := fastConfig(t, stream)
	cfg.BatchSize, cfg.Concurrency, cfg.ReclaimInterval = 100, 16, time.Hour
	if err := rdb.ConfigResetStat(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), cfg)
	eventually(t, "every entry is handled and acked", func() bool {
		groups, err := rdb.XInfoGroups(context.Background(), stream).Result()
		return err == nil && rec.HandledAll(streamtest.Entries(stream, ids)) && groups[0].Pending == 0
	})
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
	calls := commandCalls(t, rdb)
	t.Logf("%d entries: %d XACK, %d XREADGROUP", n, calls["xack"], calls["xreadgroup"])
	if calls["xack"] == 0 || calls["xack"] > n/4 {
		t.Errorf("%d XACK calls for %d entries, want batches (1..%d calls)", calls["xack"], n, n/4)
	}
	if calls["xpending"]+calls["xclaim"]+calls["xautoclaim"] != 0 {
		t.Errorf("fresh entries cost XPENDING/XCLAIM/XAUTOCLAIM calls: %v", calls)
	}
}
