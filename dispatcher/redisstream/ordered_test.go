package redisstream_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// orderLog records, per key, the sequence numbers of the events handled
// (each number once, at its first successful run), and fails when two
// events of a key run at once.
type orderLog struct {
	mu       sync.Mutex
	running  map[string]bool
	handled  map[string][]int
	seen     map[int]bool
	overlaps int
	runs     int
}

func newOrderLog() *orderLog {
	return &orderLog{running: map[string]bool{}, handled: map[string][]int{}, seen: map[int]bool{}}
}

// start marks key running, counting an overlap if it already was.
func (l *orderLog) start(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[key] {
		l.overlaps++
	}
	l.running[key] = true
	l.runs++
}

// end marks key free and, if ok, records seq as handled.
func (l *orderLog) end(key string, seq int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running[key] = false
	if ok && !l.seen[seq] {
		l.seen[seq] = true
		l.handled[key] = append(l.handled[key], seq)
	}
}

func (l *orderLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.seen)
}

// orderedScenario publishes n events over keys keys, in a random key order,
// to a fresh stream, consumes them with an ordered Processor of concurrency
// workers whose handler takes 0-2 ms and fails the first run of 1% of the
// events, and checks that every event was handled, in publish order within
// its key, never two of a key at once, and that nothing is left pending or
// dead-lettered.
func orderedScenario(t *testing.T, n, keys, concurrency int) {
	_, rdb := newRedis(t)
	ctx := context.Background()
	const stream = "ordered"
	rng := rand.New(rand.NewPCG(uint64(n), uint64(keys)))
	want := map[string][]int{}
	failOnce := map[int]bool{}
	for start := 0; start < n; start += 1000 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for seq := start; seq < min(n, start+1000); seq++ {
				key := "k" + strconv.Itoa(rng.IntN(keys))
				want[key] = append(want[key], seq)
				if rng.IntN(100) == 0 {
					failOnce[seq] = true
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{
					dispatcher.TypeField, "step", "account", key, "seq", strconv.Itoa(seq)}})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	log := newOrderLog()
	var failedMu sync.Mutex
	failed := map[int]bool{}
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("step", func(ctx context.Context, msg *dispatcher.Message) error {
		key := msg.Fields["account"]
		seq, err := strconv.Atoi(msg.Fields["seq"])
		if err != nil {
			return dispatcher.Permanent(err)
		}
		log.start(key)
		time.Sleep(time.Duration(rand.IntN(2001)) * time.Microsecond)
		failedMu.Lock()
		fail := failOnce[seq] && !failed[seq]
		failed[seq] = failed[seq] || fail
		failedMu.Unlock()
		log.end(key, seq, !fail)
		if fail {
			return fmt.Errorf("event %d fails once", seq)
		}
		return nil
	})
	cfg := fastConfig(t, stream)
	cfg.Logger = nil // a log line per retry would flood the test output
	cfg.Concurrency = concurrency
	cfg.BatchSize = 100
	cfg.MinIdle = 30 * time.Second // no redelivery: the retries are in place
	cfg.ReclaimInterval = time.Second
	cfg.OrderKey = "account"
	p := streamtest.Start(t, rdb, d, cfg)
	deadline := time.Duration(n/1000+30) * time.Second
	streamtest.Eventually(t, deadline, "every event handled", func() bool { return log.count() == n })
	eventually(t, "nothing pending", func() bool { return pending(t, rdb, stream, "g") == 0 })
	streamtest.Stop(t, p)

	if log.overlaps != 0 {
		t.Errorf("%d times an event started while another of its key ran", log.overlaps)
	}
	wrong := 0
	for key, seqs := range want {
		if got := log.handled[key]; !slices.Equal(got, seqs) {
			if wrong++; wrong <= 3 {
				t.Errorf("key %s: handled %v, published %v", key, head(got), head(seqs))
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d keys out of order", wrong, len(want))
	}
	if dl := deadLetters(t, rdb, stream+":dead"); len(dl) != 0 {
		t.Errorf("%d dead letters, want none", len(dl))
	}
	t.Logf("%d events over %d keys, %d failed once: %d handler runs, lost 0, %d keys out of order",
		n, len(want), len(failOnce), log.runs, wrong)
}

// head returns the first 10 of s, for an error message.
func head(s []int) []int { return s[:min(len(s), 10)] }

// TestScenarioOrderedSmall is the ordered scenario at a size for the -race
// suite: 5,000 events over 100 keys, Concurrency 32.
func TestScenarioOrderedSmall(t *testing.T) {
	orderedScenario(t, 5000, 100, 32)
}

// TestScenarioOrdered is the ordered scenario of issue 15: 100,000 events
// over 1,000 keys, Concurrency 32. It runs with STREAMFX_SCENARIOS=1 (CI
// runs it in its own step, without -race).
func TestScenarioOrdered(t *testing.T) {
	if os.Getenv("STREAMFX_SCENARIOS") != "1" {
		t.Skip("100,000 events: run with STREAMFX_SCENARIOS=1 go test -count=1 -run Scenario ./dispatcher/redisstream/")
	}
	orderedScenario(t, 100_000, 1000, 32)
}

// addEntry appends an entry with fields to stream and returns its ID.
func addEntry(t *testing.T, rdb redis.UniversalClient, stream string, fields ...string) string {
	t.Helper()
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: fields}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// refusingScheduler fails the test if the Dispatcher hands it a retry.
type refusingScheduler struct{ t *testing.T }

func (s refusingScheduler) ScheduleRetry(_ context.Context, r dispatcher.RetryRequest) error {
	s.t.Errorf("route %s of %s handed to the RetryScheduler by an ordered Processor", r.Route, r.Message.ID)
	return errors.New("no")
}

// TestOrderedRetryInPlace: a failing event is retried in place, only its
// failed route, never through the RetryScheduler, while the next event of
// its key waits; after MaxDeliveries runs it is dead-lettered and its key
// goes on; another key is not held up.
func TestOrderedRetryInPlace(t *testing.T) {
	_, rdb := newRedis(t)
	const stream = "retry-in-place"
	var rec, other streamtest.Recorder
	var mu sync.Mutex
	failures := map[string]int{} // id -> failures left; -1 fails forever
	d := dispatcher.New(dispatcher.Config{Retry: refusingScheduler{t}})
	d.OnFunc("ev", func(_ context.Context, msg *dispatcher.Message) error {
		other.Record(msg)
		return nil
	}, dispatcher.Named("steady"))
	d.OnFunc("ev", func(_ context.Context, msg *dispatcher.Message) error {
		rec.Record(msg)
		mu.Lock()
		defer mu.Unlock()
		if n := failures[msg.ID]; n != 0 {
			failures[msg.ID] = n - 1
			return errBad
		}
		return nil
	}, dispatcher.Named("flaky"))
	a1 := addEntry(t, rdb, stream, "type", "ev", "acct", "a")
	a2 := addEntry(t, rdb, stream, "type", "ev", "acct", "a")
	b1 := addEntry(t, rdb, stream, "type", "ev", "acct", "b")
	a3 := addEntry(t, rdb, stream, "type", "ev", "acct", "a")
	mu.Lock()
	failures[a1] = 2  // fails twice, then succeeds on run 3
	failures[a2] = -1 // fails on every run: dead-lettered after run 3
	mu.Unlock()
	cfg := fastConfig(t, stream)
	cfg.OrderKey = "acct"
	cfg.MinIdle = 30 * time.Second // nothing is redelivered: the retries are in place
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "a3 handled", func() bool { return rec.Count(streamtest.Entry{Stream: stream, ID: a3}) == 1 })
	eventually(t, "nothing pending", func() bool { return pending(t, rdb, stream, "g") == 0 })
	streamtest.Stop(t, p)

	var aRuns []string
	for _, e := range rec.Runs() {
		if e.ID != b1 {
			aRuns = append(aRuns, e.ID)
		}
	}
	if want := []string{a1, a1, a1, a2, a2, a2, a3}; !slices.Equal(aRuns, want) {
		t.Errorf("runs of key a: %v, want %v", aRuns, want)
	}
	if got := rec.Attempts(streamtest.Entry{Stream: stream, ID: a1}); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("attempts of a1: %v, want 1 2 3", got)
	}
	for _, id := range []string{a1, a2, a3, b1} {
		if n := other.Count(streamtest.Entry{Stream: stream, ID: id}); n != 1 {
			t.Errorf("the succeeding route ran %d times for %s, want once", n, id)
		}
	}
	dl := deadLetters(t, rdb, stream+":dead")
	if len(dl) != 1 || dl[0].Values[dispatcher.DeadIDField] != a2 || dl[0].Values[dispatcher.DeadRouteField] != "flaky" ||
		dl[0].Values[dispatcher.DeadAttemptsField] != "3" {
		t.Errorf("dead letters %v, want one of %s, route flaky, 3 attempts", dl, a2)
	}
}

// orderObserver records the last ObserveOrder of each stream, and the
// Processor that made it.
type orderObserver struct {
	dispatcher.Observer // nil: the other methods are not called in this test
	mu                  sync.Mutex
	last                map[string]redisstream.OrderStats
	from                map[string]*redisstream.Processor
}

var _ redisstream.OrderObserver = (*orderObserver)(nil)

func (o *orderObserver) ObserveOutcome(*dispatcher.Message, dispatcher.Outcome) {}
func (o *orderObserver) Reclaimed(string, string, int)                          {}

func (o *orderObserver) ObserveOrder(p *redisstream.Processor, group, stream string, s redisstream.OrderStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last[group+"/"+stream] = s
	if o.from == nil {
		o.from = map[string]*redisstream.Processor{}
	}
	o.from[group+"/"+stream] = p
}

// reporter returns the Processor of the last ObserveOrder of key.
func (o *orderObserver) reporter(key string) *redisstream.Processor {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.from[key]
}

func (o *orderObserver) get(key string) redisstream.OrderStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last[key]
}

// TestOrderedSlowKey: while the first event of a key is stuck in its
// handler, the later events of that key wait and events of other keys run;
// OrderStats and the OrderObserver show the waiting key; once released, the
// key's events run in order.
func TestOrderedSlowKey(t *testing.T) {
	_, rdb := newRedis(t)
	const stream = "slow-key"
	release := make(chan struct{})
	var rec streamtest.Recorder
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(ctx context.Context, msg *dispatcher.Message) error {
		if msg.Fields["acct"] == "slow" && msg.Fields["n"] == "1" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		rec.Record(msg)
		return nil
	})
	var slow []string
	for n := range 3 {
		slow = append(slow, addEntry(t, rdb, stream, "type", "ev", "acct", "slow", "n", strconv.Itoa(n+1)))
	}
	var fast []string
	for n := range 20 {
		fast = append(fast, addEntry(t, rdb, stream, "type", "ev", "acct", "k"+strconv.Itoa(n%5), "n", strconv.Itoa(n)))
	}
	obs := &orderObserver{last: map[string]redisstream.OrderStats{}}
	cfg := fastConfig(t, stream)
	cfg.OrderKey = "acct"
	cfg.Observer = obs
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "every other key's events handled", func() bool {
		return rec.HandledAll(streamtest.Entries(stream, fast))
	})
	eventually(t, "the slow key's two later events shown waiting", func() bool {
		s := p.OrderStats(stream)
		return s.Keys == 1 && s.Waiting == 2 && s.LongestWait > 0 && obs.get("g/"+stream) == redisstream.OrderStats{
			Keys: 1, Waiting: 2, LongestWait: obs.get("g/" + stream).LongestWait} && obs.get("g/"+stream).LongestWait > 0
	})
	if got := obs.reporter("g/" + stream); got != p {
		t.Errorf("ObserveOrder named Processor %p, want %p, the one reporting", got, p)
	}
	for _, id := range slow {
		if n := rec.Count(streamtest.Entry{Stream: stream, ID: id}); n != 0 {
			t.Fatalf("event %s of the slow key ran while the first one was stuck", id)
		}
	}
	close(release)
	eventually(t, "the slow key's events handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, slow)) })
	var got []string
	for _, e := range rec.Runs() {
		if slices.Contains(slow, e.ID) {
			got = append(got, e.ID)
		}
	}
	if !slices.Equal(got, slow) {
		t.Errorf("slow key ran %v, want %v", got, slow)
	}
	eventually(t, "stats back to zero", func() bool {
		return p.OrderStats(stream) == (redisstream.OrderStats{}) && obs.get("g/"+stream) == (redisstream.OrderStats{})
	})
}

// TestOrderedAbortedStopReportsZeros: an ordered Processor whose stop is
// aborted while its buffer is full (a key stuck in its handler holds it)
// still tells its OrderObserver at the end that it holds nothing, so that
// gauges fed by it do not keep the last values of a stopped Processor.
func TestOrderedAbortedStopReportsZeros(t *testing.T) {
	_, rdb := newRedis(t)
	const stream = "aborted-stop"
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(ctx context.Context, msg *dispatcher.Message) error {
		if msg.Fields["n"] == "0" {
			<-ctx.Done() // stuck until the stop is aborted
			return ctx.Err()
		}
		return nil
	})
	for n := range 5 {
		addEntry(t, rdb, stream, "type", "ev", "acct", "a", "n", strconv.Itoa(n))
	}
	obs := &orderObserver{last: map[string]redisstream.OrderStats{}}
	cfg := fastConfig(t, stream)
	cfg.OrderKey = "acct"
	cfg.OrderBuffer, cfg.OrderKeyBuffer = 2, 2 // full with the stuck entry and the next one
	cfg.Observer = obs
	p := streamtest.Start(t, rdb, d, cfg)
	eventually(t, "the key shown holding one waiting entry", func() bool {
		s := obs.get("g/" + stream)
		return s.Keys == 1 && s.Waiting == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline exceeded (aborted)", err)
	}
	if s := obs.get("g/" + stream); s != (redisstream.OrderStats{}) {
		t.Errorf("last OrderStats reported after the aborted stop = %+v, want zeros", s)
	}
	if n := pending(t, rdb, stream, "g"); n != 5 {
		t.Errorf("pending after the aborted stop = %d, want 5", n)
	}
}

// TestOrderedRunsInPlaceCountInRedis: the runs in place of a failing
// ordered entry count in its delivery count in Redis, so that a stop in the
// middle of them does not give the next life a fresh MaxDeliveries: over a
// stop and a restart, the entry runs MaxDeliveries times in all, then is
// dead-lettered.
func TestOrderedRunsInPlaceCountInRedis(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "in-place-counted"
	var rec streamtest.Recorder
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(_ context.Context, msg *dispatcher.Message) error {
		rec.Record(msg)
		return errBad
	}, dispatcher.Named("failing"))
	id := addEntry(t, rdb, stream, "type", "ev", "acct", "a")
	cfg := fastConfig(t, stream)
	cfg.OrderKey = "acct"
	cfg.MaxDeliveries = 4
	cfg.MinIdle = 30 * time.Second // nothing is reclaimed: the runs are in place, or the restart's
	e := streamtest.Entry{Stream: stream, ID: id}
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "two runs", func() bool { return rec.Count(e) >= 2 })
	streamtest.Stop(t, p)
	before := rec.Count(e)

	streamtest.StartProcessor(t, rdb, d, cfg)
	eventually(t, "the entry dead-lettered", func() bool { return len(deadLetters(t, rdb, stream+":dead")) == 1 })
	if n := rec.Count(e); n != cfg.MaxDeliveries {
		t.Errorf("%d runs in all (%d before the stop), want MaxDeliveries = %d; attempts %v",
			n, before, cfg.MaxDeliveries, rec.Attempts(e))
	}
}
