package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/dispatchertest"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// batchLog records every call of a batch route: the IDs of each batch, and
// the runs of each entry (streamtest.Recorder).
type batchLog struct {
	streamtest.Recorder
	mu      sync.Mutex
	batches [][]string
}

// handler returns a BatchHandler that records each batch, then returns
// fail's error for each message (nil: success).
func (l *batchLog) handler(fail func(msg *dispatcher.Message) error) dispatcher.BatchHandler {
	return dispatcher.BatchHandlerFunc(func(_ context.Context, msgs []*dispatcher.Message) error {
		ids := make([]string, len(msgs))
		var failed dispatcher.BatchError
		for i, m := range msgs {
			ids[i] = m.ID
			l.Record(m)
			if fail != nil {
				failed.Fail(i, fail(m))
			}
		}
		l.mu.Lock()
		l.batches = append(l.batches, ids)
		l.mu.Unlock()
		return failed.Err()
	})
}

// sizes returns the size of every batch, in call order.
func (l *batchLog) sizes() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int, len(l.batches))
	for i, b := range l.batches {
		out[i] = len(b)
	}
	return out
}

// calls returns the batches that held id.
func (l *batchLog) calls(id string) [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]string
	for _, b := range l.batches {
		if slices.Contains(b, id) {
			out = append(out, b)
		}
	}
	return out
}

// batchConfig returns fastConfig with reads of 100 entries.
func batchConfig(t *testing.T, stream string) redisstream.ProcessorConfig {
	cfg := fastConfig(t, stream)
	cfg.BatchSize = 100
	return cfg
}

// Messages of a batch route's type are gathered up to MaxBatch per call;
// a plain route on the same type and a route of another type still run
// once per message; every entry is acknowledged.
func TestBatchRouteGathers(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ids := publish(t, rdb, "rows", "row", 1000)
	others := publish(t, rdb, "rows", "other", 50)
	var batch batchLog
	var audit, other streamtest.Recorder
	d := dispatcher.New(dispatcher.Config{})
	d.OnBatch("row", batch.handler(nil), dispatcher.Named("rows.insert"), dispatcher.WithMaxBatch(100))
	d.OnFunc("row", audit.Handle, dispatcher.Named("rows.audit"))
	d.OnFunc("other", other.Handle, dispatcher.Named("other"))

	streamtest.StartProcessor(t, rdb, d, batchConfig(t, "rows"))

	eventually(t, "every entry acknowledged", func() bool {
		return len(batch.Handled()) == len(ids) && len(audit.Handled()) == len(ids) &&
			len(other.Handled()) == len(others) && pending(t, rdb, "rows", "g") == 0
	})
	for _, rec := range []*streamtest.Recorder{&batch.Recorder, &audit, &other} {
		if runs := len(rec.Runs()); runs != len(rec.Handled()) {
			t.Errorf("%d runs for %d entries: some ran twice", runs, len(rec.Handled()))
		}
	}
	sizes := batch.sizes()
	if slices.Max(sizes) != 100 {
		t.Errorf("largest batch %d: want full batches of MaxBatch 100 from a backlog, none larger", slices.Max(sizes))
	}
	if len(sizes) > 20 {
		t.Errorf("%d batch calls for 1000 entries with MaxBatch 100: the route is not batched", len(sizes))
	}
}

// A batch that does not fill runs once its first message waited MaxWait.
func TestBatchRouteMaxWait(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	var batch batchLog
	d := dispatcher.New(dispatcher.Config{})
	d.OnBatch("row", batch.handler(nil), dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(20*time.Millisecond))
	streamtest.StartProcessor(t, rdb, d, batchConfig(t, "rows"))

	ids := publish(t, rdb, "rows", "row", 30)

	eventually(t, "the 30 entries handled and acknowledged", func() bool {
		return len(batch.Handled()) == len(ids) && pending(t, rdb, "rows", "g") == 0
	})
}

// failingItems fails the messages whose payload n is in bad, on their
// first delivery only when once is set.
func failingItems(bad map[int]error, once bool) func(*dispatcher.Message) error {
	return func(m *dispatcher.Message) error {
		var p struct{ N int }
		if err := m.Decode(&p); err != nil {
			return err
		}
		if once && m.Attempt > 1 {
			return nil
		}
		return bad[p.N]
	}
}

// Three failing items of a full batch: with a RetryScheduler, exactly
// those three are scheduled (route by route) and every entry is acked; a
// permanent failure is dead-lettered alone.
func TestBatchRouteItemFailuresScheduled(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ids := publish(t, rdb, "rows", "row", 500)
	bad := map[int]error{7: errBad, 250: errBad, 499: errBad, 300: dispatcher.Permanent(errBad)}
	var batch batchLog
	sched := &dispatchertest.Scheduler{}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	d.OnBatch("row", batch.handler(failingItems(bad, false)), dispatcher.Named("rows.insert"),
		dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(time.Minute))

	streamtest.StartProcessor(t, rdb, d, batchConfig(t, "rows"))

	eventually(t, "every entry handled and acknowledged", func() bool {
		return len(batch.Handled()) == len(ids) && pending(t, rdb, "rows", "g") == 0
	})
	if sizes := batch.sizes(); !slices.Equal(sizes, []int{500}) {
		t.Errorf("batch sizes %v, want one batch of 500", sizes)
	}
	var scheduled []string
	for _, r := range sched.Requests() {
		if r.Route != "rows.insert" || !errors.Is(r.Err, errBad) {
			t.Errorf("retry request for route %q with %v, want rows.insert with errBad", r.Route, r.Err)
		}
		scheduled = append(scheduled, r.Message.ID)
	}
	if want := []string{ids[7], ids[250], ids[499]}; !slices.Equal(scheduled, want) {
		t.Errorf("scheduled %v, want the three failing entries %v", scheduled, want)
	}
	dead := deadLetters(t, rdb, "rows:dead")
	if len(dead) != 1 || dead[0].Values[dispatcher.DeadIDField] != ids[300] || dead[0].Values[dispatcher.DeadRouteField] != "rows.insert" {
		t.Errorf("dead letters %v, want entry %s of route rows.insert only", dead, ids[300])
	}
	if runs := len(batch.Runs()); runs != 500 {
		t.Errorf("%d runs, want 500: an entry ran twice", runs)
	}
}

// Without a RetryScheduler the three failing items stay pending and are
// redelivered, on their own: the other 497 run once.
func TestBatchRouteItemFailuresRedelivered(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ids := publish(t, rdb, "rows", "row", 500)
	bad := map[int]error{7: errBad, 250: errBad, 499: errBad}
	var batch batchLog
	d := dispatcher.New(dispatcher.Config{})
	d.OnBatch("row", batch.handler(failingItems(bad, true)), dispatcher.Named("rows.insert"),
		dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(100*time.Millisecond))

	cfg := batchConfig(t, "rows")
	// MinIdle 1s, not 200ms: a lease refresh that a loaded machine delays
	// past MinIdle lets the reclaimer claim an entry still in flight, which
	// raises its delivery count (attempts [1 3] seen once at load 28).
	cfg.MinIdle = time.Second
	streamtest.StartProcessor(t, rdb, d, cfg)

	failing := []string{ids[7], ids[250], ids[499]}
	eventually(t, "the failing entries run again and everything is acknowledged", func() bool {
		for _, id := range failing {
			if batch.Count(streamtest.Entry{Stream: "rows", ID: id}) < 2 {
				return false
			}
		}
		return pending(t, rdb, "rows", "g") == 0
	})
	for i, id := range ids {
		runs := batch.Attempts(streamtest.Entry{Stream: "rows", ID: id})
		if _, isBad := bad[i]; isBad {
			if !slices.Equal(runs, []int{1, 2}) {
				t.Errorf("failing entry %s ran with attempts %v, want [1 2]", id, runs)
			}
			for _, b := range batch.calls(id)[1:] {
				for _, other := range b {
					if !slices.Contains(failing, other) {
						t.Errorf("entry %s ran again beside %s, which had succeeded", other, id)
					}
				}
			}
			continue
		}
		if len(runs) != 1 {
			t.Errorf("entry %s ran %d times, want once", id, len(runs))
		}
	}
}

// Stop while a batch runs and another is filling: the running batch
// finishes and is acked, the filling one is given back unstarted, and a
// second processor handles it. Every entry is handled exactly once.
func TestBatchRouteStopMidBatch(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ids := publish(t, rdb, "rows", "row", 250)
	var batch batchLog
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	blockFirst := dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
		once.Do(func() {
			close(started)
			<-release
		})
		return batch.handler(nil).HandleBatch(ctx, msgs)
	})
	d := dispatcher.New(dispatcher.Config{})
	d.OnBatch("row", blockFirst, dispatcher.Named("rows.insert"), dispatcher.WithMaxBatch(100), dispatcher.WithMaxWait(time.Hour))
	cfg := batchConfig(t, "rows")
	cfg.Concurrency = 1
	p := streamtest.Start(t, rdb, d, cfg)
	select {
	case <-started:
	case <-time.After(waitTimeout):
		t.Fatal("no batch started")
	}
	// Every entry is read: one batch runs, one waits for the worker, the
	// last 50 wait for more (MaxWait is an hour).
	eventually(t, "every entry read", func() bool { return pending(t, rdb, "rows", "g") == int64(len(ids)) })

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- p.Shutdown(ctx)
	}()
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	first := len(batch.Handled())
	if first == 0 || first == len(ids) {
		t.Fatalf("%d of %d entries handled before the stop, want the running batch only", first, len(ids))
	}
	if n := pending(t, rdb, "rows", "g"); n != int64(len(ids)-first) {
		t.Errorf("%d entries pending after the stop, want the %d not handled", n, len(ids)-first)
	}

	cfg.Consumer = "c2"
	d2 := dispatcher.New(dispatcher.Config{})
	d2.OnBatch("row", batch.handler(nil), dispatcher.Named("rows.insert"), dispatcher.WithMaxWait(10*time.Millisecond))
	streamtest.StartProcessor(t, rdb, d2, cfg)
	eventually(t, "the rest handled by a second processor", func() bool {
		return len(batch.Handled()) == len(ids) && pending(t, rdb, "rows", "g") == 0
	})
	if runs := len(batch.Runs()); runs != len(ids) {
		t.Errorf("%d runs for %d entries, want each once after a clean stop", runs, len(ids))
	}
}
