package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// longRunEnv overrides the message count of TestReliabilityLongRun.
const longRunEnv = "RELIABILITY_LONG_N"

// Flow control and memory bound of the long run.
const (
	longRunWindow   = 20_000   // most entries published and not yet handled
	longRunMaxLen   = 100_000  // the publisher trims the stream to about this
	longRunHeapRise = 16 << 20 // most live-heap growth allowed from warm-up to end
)

// TestReliabilityLongRun pushes RELIABILITY_LONG_N messages (default
// 200,000; 40,000 under the race detector) through a processor, the
// publisher trimming the stream (MAXLEN ~) and kept at most longRunWindow
// entries ahead. It measures the live heap (after a GC) and the RSS once
// warmed up (10% of the run) and at the end; the heap may not grow by more
// than longRunHeapRise. After Shutdown and closing the client no goroutine
// may be left (goleak).
func TestReliabilityLongRun(t *testing.T) {
	n := envInt(t, longRunEnv, scaled(200_000, 5))
	leaks := goleak.IgnoreCurrent()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	const stream = "long"
	runs := make([]atomic.Uint32, n)
	var done atomic.Int64
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(_ context.Context, msg *dispatcher.Message) error {
		seq, err := seqOf(msg)
		if err != nil || seq < 0 || seq >= n {
			return dispatcher.Permanent(fmt.Errorf("bad seq %v: %w", msg.Fields["seq"], err))
		}
		if runs[seq].Add(1) == 1 {
			done.Add(1)
		}
		return nil
	})
	log, logs := observedLogger()
	begin := time.Now()
	p := newProcessor(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: "c1", BatchSize: 200,
		Block: 100 * time.Millisecond, Concurrency: 16, Logger: log,
	})
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: longRunMaxLen})
	warm := publishWindowed(t, pub, stream, n, &done)
	streamtest.Eventually(t, 5*time.Minute, "every message is handled", func() bool { return done.Load() >= int64(n) })
	streamtest.Eventually(t, time.Minute, "the PEL is empty", func() bool { return streamtest.Pending(t, rdb, stream, "g") == 0 })
	end := sampleMemory()
	elapsed := time.Since(begin)
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	_ = rdb.Close()
	goleak.VerifyNone(t, leaks)

	dups := 0
	for i := range runs {
		dups += max(int(runs[i].Load())-1, 0)
	}
	lost := n - int(done.Load())
	if lost > 0 {
		t.Errorf("%d messages lost", lost)
	}
	if errs := errorLogs(logs); len(errs) > 0 {
		t.Errorf("error logs during the run: %v", errs)
	}
	if end.heap > warm.heap+longRunHeapRise {
		t.Errorf("live heap grew from %s to %s over the run", mib(warm.heap), mib(end.heap))
	}
	results.add(t, row{
		scenario: "long run, leaks", messages: n, handled: int(done.Load()), lost: lost, duplicates: dups,
		elapsed: elapsed,
		notes: fmt.Sprintf("RSS %s at 10%% -> %s at end; live heap %s -> %s; %.0f msg/s; no goroutine left",
			mib(warm.rss), mib(end.rss), mib(warm.heap), mib(end.heap), float64(n)/elapsed.Seconds()),
	})
}

// publishWindowed publishes n events with seq 0..n-1 in batches of 1000,
// never more than longRunWindow ahead of done, and samples the memory once
// 10% are published.
func publishWindowed(t *testing.T, pub *redisstream.Publisher, stream string, n int, done *atomic.Int64) memSample {
	t.Helper()
	var warm memSample
	for start := 0; start < n; start += 1000 {
		for int64(start)-done.Load() > longRunWindow {
			time.Sleep(time.Millisecond)
		}
		if start >= n/10 && warm.rss == 0 {
			warm = sampleMemory()
		}
		if err := publishRange(pub, stream, start, min(start+1000, n)); err != nil {
			t.Fatal(err)
		}
	}
	return warm
}

// seqOf returns the "seq" field of msg.
func seqOf(msg *dispatcher.Message) (int, error) {
	v, err := msg.Get("seq")
	if err != nil {
		return 0, err
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("seq is %T", v)
	}
	i, err := num.Int64()
	return int(i), err
}

// publishRange publishes the events with seq in [from, to) in one batch.
func publishRange(pub *redisstream.Publisher, stream string, from, to int) error {
	events := make([]redisstream.Event, 0, to-from)
	for i := from; i < to; i++ {
		events = append(events, redisstream.Event{Type: "tick", Payload: map[string]any{"seq": i}})
	}
	_, err := pub.PublishBatch(context.Background(), stream, events)
	return err
}

// memSample is the process's memory at one moment.
type memSample struct {
	rss  uint64 // resident set size, from /proc/self/status (0 elsewhere)
	heap uint64 // live heap after a GC
}

func sampleMemory() memSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{rss: rss(), heap: ms.HeapAlloc}
}

// rss returns VmRSS in bytes, or 0 where /proc is missing.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
