package redisstream

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// workerTest runs a workers stage whose jobs and results the test drives.
type workerTest struct {
	t     *testing.T
	w     *workers
	work  chan job
	out   chan result
	abort context.CancelFunc
	close func() // closes work
	ended chan struct{}

	mu    sync.Mutex
	given []string // IDs given back
}

func newWorkerTest(t *testing.T, d *dispatcher.Dispatcher, n int, cfg ProcessorConfig) *workerTest {
	wt := &workerTest{t: t, work: make(chan job, 2*n), out: make(chan result, 2*n), ended: make(chan struct{})}
	cfg.Group = "g"
	cfg.MaxDeliveries = cmp.Or(cfg.MaxDeliveries, 5)
	wt.w = &workers{slots: make([]slot, n), d: d, cfg: cfg, work: wt.work, results: wt.out, arrays: newRecycler(8),
		stopping: new(atomic.Bool), giveBack: func(u job) {
			wt.mu.Lock()
			defer wt.mu.Unlock()
			wt.given = append(wt.given, ids(u.entries)...)
		}}
	ctx, cancel := context.WithCancel(context.Background())
	wt.abort = cancel
	go func() { _ = wt.w.run(ctx); close(wt.ended) }()
	closed := false
	t.Cleanup(func() {
		if !closed {
			close(wt.work)
		}
		cancel()
		<-wt.ended
	})
	wt.close = func() { closed = true; close(wt.work) }
	return wt
}

// typed returns a job of stream "s" with n entries of type typ.
func typed(prefix, typ string, n int) job {
	u := testJob("s", prefix, n)
	for i := range u.entries {
		u.entries[i].values = map[string]any{dispatcher.TypeField: typ, "n": i}
	}
	return u
}

// result receives the next result, failing after a long wait.
func (wt *workerTest) result() result {
	wt.t.Helper()
	select {
	case r := <-wt.out:
		return r
	case <-time.After(10 * time.Second):
		wt.t.Fatal("no result")
	}
	return result{}
}

// givenBack returns the IDs given back so far.
func (wt *workerTest) givenBack() []string {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	return slices.Clone(wt.given)
}

// TestWorkersRunJob: a worker runs the entries of a job one after the
// other, in order, and reports one outcome per entry with the message it
// built: fields, consumer group and delivery count.
func TestWorkersRunJob(t *testing.T) {
	d := dispatcher.New(dispatcher.Config{})
	var ran []string
	d.OnFunc("t", func(_ context.Context, m *dispatcher.Message) error {
		ran = append(ran, m.ID) // one worker: no other goroutine runs it
		if m.Fields["n"] == "1" {
			return errors.New("boom")
		}
		return nil
	})
	wt := newWorkerTest(t, d, 1, ProcessorConfig{})
	u := typed("a", "t", 3)
	u.entries[2].attempts = 3
	wt.work <- u
	r := wt.result()
	if want := []string{"a-0", "a-1", "a-2"}; !slices.Equal(ran, want) || !slices.Equal(ids(r.entries), want) {
		t.Fatalf("ran %v, result for %v, want %v", ran, ids(r.entries), want)
	}
	if len(r.done) != 3 {
		t.Fatalf("%d outcomes for 3 entries", len(r.done))
	}
	for i, want := range []dispatcher.Action{dispatcher.Ack, dispatcher.Retry, dispatcher.Ack} {
		h := r.done[i]
		if h.out.Action != want || h.rejected {
			t.Errorf("entry %d: action %v rejected %t, want %v", i, h.out.Action, h.rejected, want)
		}
		if h.msg.ID != r.entries[i].id || h.msg.Stream != "s" || h.msg.ConsumerGroup != "g" || h.msg.Type != "t" {
			t.Errorf("entry %d: message %+v", i, h.msg)
		}
	}
	if r.done[2].msg.Attempt != 3 {
		t.Errorf("attempt %d, want the delivery count 3", r.done[2].msg.Attempt)
	}
}

// TestWorkersBound: no more handlers run at once than there are workers.
func TestWorkersBound(t *testing.T) {
	d := dispatcher.New(dispatcher.Config{})
	var running, most atomic.Int64
	release := make(chan struct{})
	d.OnFunc("t", func(context.Context, *dispatcher.Message) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return nil
	})
	wt := newWorkerTest(t, d, 2, ProcessorConfig{})
	for _, prefix := range []string{"a", "b", "c", "d"} {
		wt.work <- typed(prefix, "t", 1)
	}
	deadline := time.Now().Add(10 * time.Second)
	for running.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if running.Load() != 2 {
		t.Fatalf("%d handlers running, want 2", running.Load())
	}
	close(release)
	for range 4 {
		wt.result()
	}
	if most.Load() != 2 {
		t.Errorf("up to %d handlers at once on 2 workers", most.Load())
	}
}

// TestWorkersStopMidJob: once stopping is set, a worker finishes the
// entry it runs, gives back the entries of its job after it, unstarted,
// and reports the one that ran.
func TestWorkersStopMidJob(t *testing.T) {
	d := dispatcher.New(dispatcher.Config{})
	started, release := make(chan string, 3), make(chan struct{})
	d.OnFunc("t", func(_ context.Context, m *dispatcher.Message) error {
		started <- m.ID
		<-release
		return nil
	})
	wt := newWorkerTest(t, d, 1, ProcessorConfig{})
	wt.work <- typed("a", "t", 3)
	if id := <-started; id != "a-0" {
		t.Fatalf("started %s first", id)
	}
	wt.w.stopping.Store(true)
	close(release)
	r := wt.result()
	if got := ids(r.entries); !slices.Equal(got, []string{"a-0"}) || len(r.done) != 1 {
		t.Errorf("result for %v with %d outcomes, want [a-0] with 1", got, len(r.done))
	}
	if got := wt.givenBack(); !slices.Equal(got, []string{"a-1", "a-2"}) {
		t.Errorf("given back %v, want [a-1 a-2]", got)
	}
	if len(started) != 0 {
		t.Errorf("%s started after the stop", <-started)
	}
}

// TestWorkersAbort: when the handlers' context ends, a worker reports
// nothing for the job it ran, starts no other entry and gives nothing
// back (the entries stay pending); run returns once work is closed.
func TestWorkersAbort(t *testing.T) {
	d := dispatcher.New(dispatcher.Config{})
	started := make(chan string, 3)
	d.OnFunc("t", func(ctx context.Context, m *dispatcher.Message) error {
		started <- m.ID
		<-ctx.Done()
		return ctx.Err()
	})
	wt := newWorkerTest(t, d, 1, ProcessorConfig{})
	wt.work <- typed("a", "t", 2)
	wt.work <- typed("b", "t", 1)
	<-started
	wt.abort()
	wt.close()
	select {
	case <-wt.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the abort")
	}
	if len(wt.out) != 0 || len(started) != 0 || len(wt.givenBack()) != 0 {
		t.Errorf("after the abort: %d results, %d more started, given back %v", len(wt.out), len(started), wt.givenBack())
	}
}

// TestWorkersReject: an entry larger than MaxMessageBytes, or delivered
// more than MaxDeliveries times, gets a dead-letter outcome without any
// handler running.
func TestWorkersReject(t *testing.T) {
	d := dispatcher.New(dispatcher.Config{})
	var ran atomic.Int64
	d.OnFunc("t", func(context.Context, *dispatcher.Message) error { ran.Add(1); return nil })
	wt := newWorkerTest(t, d, 1, ProcessorConfig{MaxDeliveries: 2, MaxMessageBytes: 20})
	u := typed("a", "t", 3)
	u.entries[1].values["big"] = "0123456789012345678901234"
	u.entries[2].attempts = 3
	wt.work <- u
	r := wt.result()
	for i, want := range []error{nil, ErrMessageTooLarge, ErrTooManyDeliveries} {
		h := r.done[i]
		if want == nil {
			if h.rejected || h.out.Action != dispatcher.Ack {
				t.Errorf("entry %d: rejected %t action %v, want run and acked", i, h.rejected, h.out.Action)
			}
			continue
		}
		if !h.rejected || h.out.Action != dispatcher.DeadLetter || len(h.out.Failures) != 1 || !errors.Is(h.out.Failures[0].Err, want) {
			t.Errorf("entry %d: rejected %t outcome %+v, want a dead letter for %v", i, h.rejected, h.out, want)
		}
	}
	if ran.Load() != 1 {
		t.Errorf("handler ran %d times, want 1", ran.Load())
	}
}
