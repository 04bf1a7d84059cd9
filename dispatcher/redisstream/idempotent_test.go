package redisstream_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// skipCounter is a dispatcher.Observer that sums Outcome.Skipped.
type skipCounter struct{ skipped atomic.Int64 }

func (s *skipCounter) ObserveOutcome(_ *dispatcher.Message, o dispatcher.Outcome) {
	s.skipped.Add(int64(o.Skipped))
}
func (s *skipCounter) Retried(*dispatcher.Message, string)      {}
func (s *skipCounter) DeadLettered(*dispatcher.Message, string) {}
func (s *skipCounter) Reclaimed(string, string, int)            {}

// TestIdempotentRouteSkippedOnRedelivery runs entries whose "flaky" route
// fails on its first run, so that each entry is redelivered (no retry
// scheduler): the idempotent "store" route, which completed on the first
// delivery, is skipped on the second, while the plain "audit" route runs
// again. Without the completion markers "store" runs twice.
func TestIdempotentRouteSkippedOnRedelivery(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const n = 20
	var store, audit streamtest.Recorder
	var mu sync.Mutex
	flakyRuns := map[string]int{}
	keys := map[string]string{}
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("t", func(ctx context.Context, msg *dispatcher.Message) error {
		mu.Lock()
		keys[msg.ID] = msg.IdempotencyKey("store")
		mu.Unlock()
		return store.Handle(ctx, msg)
	}, dispatcher.Named("store"), dispatcher.Idempotent())
	d.OnFunc("t", audit.Handle, dispatcher.Named("audit"))
	d.OnFunc("t", func(_ context.Context, msg *dispatcher.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if flakyRuns[msg.ID]++; flakyRuns[msg.ID] == 1 {
			return errBad
		}
		return nil
	}, dispatcher.Named("flaky"), dispatcher.Idempotent())
	cfg := fastConfig(t, "idem")
	obs := &skipCounter{}
	cfg.Observer = obs
	streamtest.StartProcessor(t, rdb, d, cfg)
	ids := publish(t, rdb, "idem", "t", n)
	want := streamtest.Entries("idem", ids)
	eventually(t, "every entry acknowledged after its redelivery", func() bool {
		return len(audit.Runs()) == 2*n && pending(t, rdb, "idem", "g") == 0
	})
	store.ExactlyOnce(t, want)
	for _, e := range want {
		if c := audit.Count(e); c != 2 {
			t.Errorf("plain route ran %d times for %s, want 2", c, e)
		}
	}
	if got := obs.skipped.Load(); got != n {
		t.Errorf("Outcome.Skipped sums to %d, want %d (store skipped once per entry)", got, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if k := keys[ids[0]]; k != "g/idem/"+ids[0]+"/store" {
		t.Errorf("IdempotencyKey = %q", k)
	}
}

// TestIdempotentConfigAllRoutes checks that Config.Idempotent makes every
// route idempotent.
func TestIdempotentConfigAllRoutes(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{Idempotent: true})
	d.OnFunc("t", func(context.Context, *dispatcher.Message) error { return nil }, dispatcher.Named("a"))
	d.OnFunc("u", func(context.Context, *dispatcher.Message) error { return nil }, dispatcher.Named("b"))
	if got := d.IdempotentRoutes("t"); len(got) != 1 || got[0] != "a" {
		t.Errorf("IdempotentRoutes(t) = %v, want [a]", got)
	}
	plain := dispatcher.New(dispatcher.Config{})
	plain.OnFunc("t", func(context.Context, *dispatcher.Message) error { return nil })
	if got := plain.IdempotentRoutes("t"); got != nil {
		t.Errorf("IdempotentRoutes of a plain route = %v", got)
	}
}

// idempotentPair returns a dispatcher with the idempotent route "store",
// recorded by store, and the plain route "flaky", which fails while fail
// is set and counts its runs in flaky.
func idempotentPair(store *streamtest.Recorder, fail *atomic.Bool, flaky *atomic.Int32) *dispatcher.Dispatcher {
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", store.Handle, dispatcher.Named("store"), dispatcher.Idempotent())
	d.OnFunc("ev", func(context.Context, *dispatcher.Message) error {
		flaky.Add(1)
		if fail.Load() {
			return errBad
		}
		return nil
	}, dispatcher.Named("flaky"))
	return d
}

// TestOrderedIdempotentAcrossRestart: an entry whose idempotent route
// "store" succeeds and whose route "flaky" fails stays pending at a stop;
// redelivered after a restart, "store" must be skipped: its completion
// marker was recorded. With OrderKey in either life:
//   - unordered, then ordered: the ordered Processor skips the completed
//     route of the entry it drains, as an unordered one does
//     (TestIdempotentRouteSkippedOnRedelivery);
//   - ordered, the entry retried in place until the stop, then unordered:
//     the marker was recorded before the retries in place.
func TestOrderedIdempotentAcrossRestart(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name            string
		before, after   string // OrderKey of each life
		maxDeliveries   int
		failuresAtFirst int32
	}{
		{name: "unordered then ordered", after: "acct", maxDeliveries: 3, failuresAtFirst: 1},
		{name: "retried in place then unordered", before: "acct", maxDeliveries: 100, failuresAtFirst: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rdb := newRedis(t)
			const stream = "ordered-idem"
			var store streamtest.Recorder
			var fail atomic.Bool
			var flaky atomic.Int32
			fail.Store(true)
			d := idempotentPair(&store, &fail, &flaky)
			id := addEntry(t, rdb, stream, "type", "ev", "acct", "a")
			cfg := fastConfig(t, stream)
			cfg.MinIdle = 30 * time.Second // nothing is reclaimed: the restart drains the entry
			cfg.MaxDeliveries = tt.maxDeliveries
			cfg.OrderKey = tt.before
			p := streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "flaky failed", func() bool { return flaky.Load() >= tt.failuresAtFirst })
			streamtest.Stop(t, p)
			if n := pending(t, rdb, stream, "g"); n != 1 {
				t.Fatalf("%d entries pending after the stop, want 1", n)
			}

			fail.Store(false)
			cfg.OrderKey = tt.after
			streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "the entry acknowledged", func() bool { return pending(t, rdb, stream, "g") == 0 })
			if n := store.Count(streamtest.Entry{Stream: stream, ID: id}); n != 1 {
				t.Errorf("idempotent route ran %d times, want once (its completion marker was recorded)", n)
			}
		})
	}
}
