package reliability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// scenariosEnv, set to 1, runs the big scenarios (hundreds of thousands of
// messages); .ci/run sets it in a step without the race detector.
const scenariosEnv = "STREAMFX_SCENARIOS"

// TestScenarioBatchRoute200k is the batch route scenario at full size:
// 200,000 events, MaxBatch 500.
func TestScenarioBatchRoute200k(t *testing.T) {
	if os.Getenv(scenariosEnv) != "1" {
		t.Skipf("big scenario: run it with %s=1 go test -count=1 -run %s ./internal/reliability/", scenariosEnv, t.Name())
	}
	batchRouteScenario(t, 200_000)
}

// TestReliabilityBatchRoute is the batch route scenario at a size for the
// ordinary suite.
func TestReliabilityBatchRoute(t *testing.T) {
	batchRouteScenario(t, scaled(20_000, 4))
}

// batchTally records the runs of a batch route over n events.
type batchTally struct {
	runs  []atomic.Int32 // per event seq
	seen  atomic.Int64   // events run at least once
	calls atomic.Int64   // HandleBatch calls
	most  atomic.Int64   // largest batch

	mu   sync.Mutex
	bad  map[int][]int // failing seq -> size of the batch of each of its runs
	fail map[int]bool
}

// handler fails each failing event on its first run, with a retryable
// error, and lets every other run succeed.
func (b *batchTally) handler() dispatcher.BatchHandler {
	return dispatcher.BatchHandlerFunc(func(_ context.Context, msgs []*dispatcher.Message) error {
		b.calls.Add(1)
		if n := int64(len(msgs)); n > b.most.Load() {
			b.most.Store(n) // a race between two calls only lowers the figure a little
		}
		var failed dispatcher.BatchError
		for i, m := range msgs {
			seq, err := seqOf(m)
			if err != nil || seq < 0 || seq >= len(b.runs) {
				failed.Fail(i, dispatcher.Permanent(fmt.Errorf("bad seq %v: %w", m.Fields["seq"], err)))
				continue
			}
			run := b.runs[seq].Add(1)
			if run == 1 {
				b.seen.Add(1)
			}
			if !b.fail[seq] {
				continue
			}
			b.mu.Lock()
			b.bad[seq] = append(b.bad[seq], len(msgs))
			b.mu.Unlock()
			if run == 1 {
				failed.Fail(i, errors.New("constraint violated, once"))
			}
		}
		return failed.Err()
	})
}

// batchRouteScenario publishes n events, then consumes them with a batch
// route (MaxBatch 500) whose three failing items of the first batches are
// retried through asynq, alone; halfway the processor is stopped (a clean
// stop, batches running and filling) and a second one finishes. Every
// event is handled once, the failing ones twice (the second time alone),
// and nothing stays pending.
func batchRouteScenario(t *testing.T, n int) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	const stream = "rows"
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for from := 0; from < n; from += 1000 {
		if err := publishRange(pub, stream, from, min(from+1000, n)); err != nil {
			t.Fatal(err)
		}
	}
	tally := &batchTally{runs: make([]atomic.Int32, n), bad: map[int][]int{}, fail: map[int]bool{10: true, 20: true, 30: true}}
	sched, err := asynqretry.NewScheduler(rdb, asynqretry.Config{
		MaxAttempts: 5, Backoff: asynqretry.ExponentialBackoff(5*time.Millisecond, 20*time.Millisecond, 0),
		DelayedTaskCheckInterval: 10 * time.Millisecond, TaskCheckInterval: 10 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	d.OnBatch("tick", tally.handler(), dispatcher.Named("rows.insert"), dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(50*time.Millisecond))
	retries, err := asynqretry.NewServer(rdb, d, sched)
	if err != nil {
		t.Fatal(err)
	}
	if err := retries.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = retries.Shutdown(ctx)
	})
	log, logs := observedLogger()
	cfg := redisstream.ProcessorConfig{Streams: []string{stream}, Group: "g", Consumer: "c1", BatchSize: 500,
		Block: 100 * time.Millisecond, MinIdle: 2 * time.Second, ReclaimInterval: 200 * time.Millisecond, Logger: log}
	begin := time.Now()

	first := newProcessor(t, rdb, d, cfg)
	streamtest.Eventually(t, 5*time.Minute, "a third of the events handled", func() bool { return tally.seen.Load() >= int64(n/3) })
	if err := shutdown(first); err != nil {
		t.Fatalf("clean stop mid-run: %v", err)
	}
	stoppedAt := tally.seen.Load()
	cfg.Consumer = "c2"
	newProcessor(t, rdb, d, cfg)
	streamtest.Eventually(t, 5*time.Minute, "every event handled and the failing ones retried", func() bool {
		return tally.seen.Load() == int64(n) && tally.runs[10].Load() == 2 && tally.runs[20].Load() == 2 && tally.runs[30].Load() == 2
	})
	streamtest.Eventually(t, time.Minute, "the PEL is empty", func() bool { return streamtest.Pending(t, rdb, stream, "g") == 0 })
	elapsed := time.Since(begin)

	dups := 0
	for seq := range tally.runs {
		want := int32(1)
		if tally.fail[seq] {
			want = 2
		}
		if got := tally.runs[seq].Load(); got != want {
			dups += max(int(got-want), 0)
			if dups <= 10 {
				t.Errorf("event %d ran %d times, want %d", seq, got, want)
			}
		}
	}
	tally.mu.Lock()
	for seq, sizes := range tally.bad {
		if len(sizes) != 2 || sizes[0] < 2 || sizes[1] != 1 {
			t.Errorf("failing event %d ran in batches of %v: want a batch of many, then alone", seq, sizes)
		}
	}
	tally.mu.Unlock()
	if most := tally.most.Load(); most != 500 {
		t.Errorf("largest batch %d, want MaxBatch 500 from a backlog", most)
	}
	if errs := errorLogs(logs); len(errs) > 0 {
		t.Errorf("error logs: %v", errs[:min(len(errs), 5)])
	}
	r := tallyRuns(countRuns(tally), seqs(n))
	r.check(t)
	results.add(t, row{scenario: fmt.Sprintf("batch route MaxBatch 500, stop at %d", stoppedAt), messages: n,
		handled: r.handled, lost: r.lost, duplicates: dups, elapsed: elapsed,
		notes: fmt.Sprintf("%d calls; 3 items retried alone through asynq", tally.calls.Load())})
}

// countRuns returns the runs per seq, the failing events' retry not
// counted as a duplicate.
func countRuns(b *batchTally) map[int]int {
	out := make(map[int]int, len(b.runs))
	for seq := range b.runs {
		if got := int(b.runs[seq].Load()); got > 0 {
			if b.fail[seq] {
				got--
			}
			out[seq] = got
		}
	}
	return out
}

// seqs returns 0..n-1.
func seqs(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return slices.Clip(out)
}
