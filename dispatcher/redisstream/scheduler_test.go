package redisstream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// schedTest runs a scheduler over pol with fake workers driven by the test.
type schedTest struct {
	t     *testing.T
	s     *scheduler
	stop  context.CancelFunc
	ended chan error

	mu    sync.Mutex
	given []string // IDs given back
}

func newSchedTest(t *testing.T, pol policy, workers int) *schedTest {
	st := &schedTest{t: t, ended: make(chan error, 1)}
	st.s = newScheduler(pol, workers, func(u job) {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.given = append(st.given, ids(u.entries)...)
	})
	ctx, cancel := context.WithCancel(context.Background())
	st.stop = cancel
	go func() { st.ended <- st.s.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for range st.s.settled { // as the settler does: it takes what comes until settled is closed
		}
		<-st.ended
	})
	return st
}

// testJob returns a job of stream with entries named prefix-0, prefix-1, ...
func testJob(stream, prefix string, n int) job {
	u := job{stream: stream}
	for i := range n {
		u.entries = append(u.entries, entry{id: fmt.Sprintf("%s-%d", prefix, i), attempts: 1})
	}
	return u
}

func ids(entries []entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.id)
	}
	return out
}

// take receives the next job a worker gets, failing after a long wait.
func (st *schedTest) take() job {
	st.t.Helper()
	select {
	case u, ok := <-st.s.work:
		if !ok {
			st.t.Fatal("work closed")
		}
		return u
	case <-time.After(10 * time.Second):
		st.t.Fatal("no job started")
	}
	return job{}
}

// finish reports u as run.
func (st *schedTest) finish(u job) {
	st.s.results <- result{job: u, done: make([]handled, len(u.entries))}
}

// settledIDs receives one batch of results for the settler.
func (st *schedTest) settledIDs() []string {
	st.t.Helper()
	select {
	case rs := <-st.s.settled:
		var out []string
		for _, r := range rs {
			out = append(out, ids(r.entries)...)
		}
		return out
	case <-time.After(10 * time.Second):
		st.t.Fatal("nothing settled")
	}
	return nil
}

// TestSchedulerFIFOOneWorker: with one worker, entries start one at a time
// in the order of their batches, and each result reaches the settler.
func TestSchedulerFIFOOneWorker(t *testing.T) {
	st := newSchedTest(t, newFIFO(3, 6), 1)
	st.s.in <- testJob("s", "a", 3)
	st.s.in <- testJob("s", "b", 2)
	var started, settled []string
	for range 5 {
		u := st.take()
		if len(u.entries) != 1 {
			t.Fatalf("job of %d entries, want 1", len(u.entries))
		}
		started = append(started, ids(u.entries)...)
		st.finish(u)
		settled = append(settled, st.settledIDs()...)
	}
	want := []string{"a-0", "a-1", "a-2", "b-0", "b-1"}
	if !slices.Equal(started, want) || !slices.Equal(settled, want) {
		t.Errorf("started %v, settled %v, want %v", started, settled, want)
	}
}

// TestSchedulerBoundsWorkers: no more jobs are started at once than two
// per worker (one running, one waiting); the next starts when one returns.
func TestSchedulerBoundsWorkers(t *testing.T) {
	st := newSchedTest(t, newFIFO(1, 10), 2)
	st.s.in <- testJob("s", "a", 6)
	var started []job
	for range 4 {
		started = append(started, st.take())
	}
	// Four jobs started: the scheduler must not start a fifth.
	st.s.in <- testJob("s", "b", 1) // a round of the scheduler's loop
	select {
	case u := <-st.s.work:
		t.Errorf("%v started with four jobs outstanding on two workers", ids(u.entries))
	default:
	}
	st.finish(started[0])
	started = append(started, st.take())
	var got []string
	for _, u := range started {
		got = append(got, ids(u.entries)...)
	}
	if !slices.Equal(got, []string{"a-0", "a-1", "a-2", "a-3", "a-4"}) {
		t.Errorf("started %v", got)
	}
}

// fullCheck wraps a policy and records a push while it reports full.
type fullCheck struct {
	policy
	violations int
	most       int
}

func (f *fullCheck) push(u job) {
	if f.policy.full() {
		f.violations++
	}
	f.policy.push(u)
	f.most = max(f.most, f.policy.held())
}

// TestSchedulerBackpressure: batches sent faster than one worker runs them
// are taken only while the policy has room, so it never holds more than
// its limit, and every entry runs once, in order.
func TestSchedulerBackpressure(t *testing.T) {
	pol := &fullCheck{policy: newFIFO(4, 8)}
	st := newSchedTest(t, pol, 1)
	const batches = 20
	go func() {
		for i := range batches {
			st.s.in <- testJob("s", fmt.Sprint(i), 4)
		}
	}()
	var started []string
	for range batches * 4 {
		u := st.take()
		started = append(started, ids(u.entries)...)
		st.finish(u)
		st.settledIDs()
	}
	var want []string
	for i := range batches {
		want = append(want, ids(testJob("s", fmt.Sprint(i), 4).entries)...)
	}
	if !slices.Equal(started, want) {
		t.Errorf("started %v, want %v", started, want)
	}
	st.stop()
	<-st.ended
	st.ended <- nil
	if pol.violations > 0 || pol.most > 8 {
		t.Errorf("pushed %d times while full; held up to %d entries, limit 8", pol.violations, pol.most)
	}
}

// TestSchedulerStop: closing the intake gives back what the policy holds
// and the job waiting for the worker, closes work, forwards the result of
// the job still running, then closes settled and returns nil.
func TestSchedulerStop(t *testing.T) {
	st := newSchedTest(t, newFIFO(4, 8), 1)
	st.s.in <- testJob("s", "a", 4)
	running := st.take()
	close(st.s.in)
	st.finish(running)
	if got := st.settledIDs(); !slices.Equal(got, []string{"a-0"}) {
		t.Errorf("settled %v, want [a-0]", got)
	}
	if _, ok := <-st.s.settled; ok {
		t.Error("settled not closed")
	}
	if err := <-st.ended; err != nil {
		t.Errorf("run = %v, want nil", err)
	}
	st.ended <- nil
	if u, ok := <-st.s.work; ok {
		t.Errorf("%v left to start after the intake closed", ids(u.entries))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if given := slices.Sorted(slices.Values(st.given)); !slices.Equal(given, []string{"a-1", "a-2", "a-3"}) {
		t.Errorf("given back %v, want [a-1 a-2 a-3]", st.given)
	}
}

// TestSchedulerAbort: when ctx ends, run returns its error at once, with
// a job still running, and closes settled.
func TestSchedulerAbort(t *testing.T) {
	st := newSchedTest(t, newFIFO(4, 8), 1)
	st.s.in <- testJob("s", "a", 2)
	st.take()
	st.stop()
	if err := <-st.ended; !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v, want context.Canceled", err)
	}
	st.ended <- nil
	if _, ok := <-st.s.settled; ok {
		t.Error("settled not closed")
	}
}

// TestSchedulerAbortSettlesReported: a job whose worker reported its
// result before ctx ended is still handed to the settler, with the results
// it did not take yet, before settled is closed; only the job still
// running is abandoned.
func TestSchedulerAbortSettlesReported(t *testing.T) {
	st := newSchedTest(t, newFIFO(4, 8), 2)
	st.s.in <- testJob("s", "a", 2)
	first := st.take()
	st.take() // still running at the abort
	st.finish(first)
	st.stop()
	if got := st.settledIDs(); !slices.Equal(got, []string{"a-0"}) {
		t.Errorf("settled %v, want [a-0]", got)
	}
	if err := <-st.ended; !errors.Is(err, context.Canceled) {
		t.Errorf("run = %v, want context.Canceled", err)
	}
	st.ended <- nil
	if _, ok := <-st.s.settled; ok {
		t.Error("settled not closed")
	}
}

// retryOnce is a policy that keeps each job the first time it returns and
// offers it again once a delay passed: a retry in place, as the contract
// allows.
type retryOnce struct {
	*fifoPolicy
	delay   time.Duration
	kept    []job
	due     time.Time
	retried map[string]bool
}

func (p *retryOnce) next(now time.Time) (job, bool) {
	if len(p.kept) > 0 && !now.Before(p.due) {
		u := p.kept[0]
		p.kept = p.kept[1:]
		return u, true
	}
	return p.fifoPolicy.next(now)
}

func (p *retryOnce) done(r *result, now time.Time) bool {
	id := r.entries[0].id
	if p.retried[id] {
		return true
	}
	p.retried[id] = true
	p.kept = append(p.kept, r.job)
	p.due = now.Add(p.delay)
	return false
}

func (p *retryOnce) wake() time.Time {
	if len(p.kept) == 0 {
		return time.Time{}
	}
	return p.due
}

// TestSchedulerRetryInPlace: a job the policy keeps is not settled (it
// goes to the settler marked kept, for its completion markers only); the
// scheduler starts it again when the policy's wake time comes, with nothing
// else happening, and settles it when the policy lets it go.
func TestSchedulerRetryInPlace(t *testing.T) {
	st := newSchedTest(t, &retryOnce{fifoPolicy: newFIFO(1, 1), delay: 50 * time.Millisecond, retried: map[string]bool{}}, 1)
	st.s.in <- testJob("s", "a", 1)
	st.finish(st.take())
	again := st.take() // only the wake-up can start it
	if got := ids(again.entries); !slices.Equal(got, []string{"a-0"}) {
		t.Fatalf("started %v again, want [a-0]", got)
	}
	st.finish(again)
	close(st.s.in)
	var settled, kept []string
	for rs := range st.s.settled {
		for _, r := range rs {
			if r.kept {
				kept = append(kept, ids(r.entries)...)
			} else {
				settled = append(settled, ids(r.entries)...)
			}
		}
	}
	if !slices.Equal(settled, []string{"a-0"}) {
		t.Errorf("settled %v, want [a-0] once", settled)
	}
	if !slices.Equal(kept, []string{"a-0"}) { // for its completion markers only
		t.Errorf("kept %v, want [a-0] once", kept)
	}
}

// TestFIFOSpread: with spread set, a job is the entries queued divided by
// spread, rounded up, taken from the head batch only, in order; a short
// queue still goes one entry per job.
func TestFIFOSpread(t *testing.T) {
	f := newFIFO(10, 20)
	f.spread = 4
	f.push(testJob("s", "a", 10))
	f.push(testJob("t", "b", 3))
	var sizes []int
	var got []string
	for {
		u, ok := f.next(time.Time{})
		if !ok {
			break
		}
		sizes = append(sizes, len(u.entries))
		got = append(got, ids(u.entries)...)
	}
	want := append(ids(testJob("s", "a", 10).entries), ids(testJob("t", "b", 3).entries)...)
	if !slices.Equal(got, want) {
		t.Errorf("started %v, want %v", got, want)
	}
	// 13 queued: 4 of a; 9: 3 of a; 6: 2 of a; 4: a's last one (the head
	// batch only); 3 of b: one each.
	if wantSizes := []int{4, 3, 2, 1, 1, 1, 1}; !slices.Equal(sizes, wantSizes) {
		t.Errorf("job sizes %v, want %v", sizes, wantSizes)
	}
	if f.held() != 0 {
		t.Errorf("held %d after all started", f.held())
	}
}
