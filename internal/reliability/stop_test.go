package reliability

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestReliabilityStopUnderLoad shuts a processor down while its handlers are
// busy, then starts another one, twice: first with the same consumer name
// (it drains the pending entries the first one left), then with a new name
// (it reclaims them once idle). After these clean stops every entry must
// have been handled exactly once.
func TestReliabilityStopUnderLoad(t *testing.T) {
	n := scaled(20_000, 4)
	const stream = "stop"
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	seen := new(streamtest.Recorder)
	var inFlight atomic.Int64
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("job", func(_ context.Context, msg *dispatcher.Message) error {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		time.Sleep(2 * time.Millisecond) // some work, ignoring ctx: a clean stop waits for it
		seen.Record(msg)
		return nil
	})
	ids := streamtest.MustPublish(t, redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), stream, "job", n)
	begin := time.Now()

	var notes []string
	stages := []struct {
		consumer string
		stopAt   int // stop once this many are handled; 0: run to the end
	}{{"w1", n / 4}, {"w1", n / 2}, {"w2", 0}}
	for _, st := range stages {
		cfg := stopConfig(stream, st.consumer)
		p := newProcessor(t, rdb, d, cfg)
		if st.stopAt == 0 {
			streamtest.Eventually(t, 2*time.Minute, "every entry is handled", func() bool { return seen.Len() >= n })
			streamtest.Eventually(t, time.Minute, "the PEL is empty", func() bool { return streamtest.Pending(t, rdb, stream, "g") == 0 })
		} else {
			streamtest.Eventually(t, 2*time.Minute, "the load is there", func() bool {
				return seen.Len() >= st.stopAt && inFlight.Load() > 0
			})
		}
		busy := inFlight.Load()
		if err := shutdown(p); err != nil {
			t.Fatalf("Shutdown of %s: %v", st.consumer, err)
		}
		if left := inFlight.Load(); left != 0 {
			t.Errorf("%d handlers still running after Shutdown of %s returned", left, st.consumer)
		}
		notes = append(notes, fmt.Sprintf("%s stopped with %d in flight and %d left pending",
			st.consumer, busy, streamtest.Pending(t, rdb, stream, "g")))
	}
	elapsed := time.Since(begin)

	res := tallyRuns(seen.Counts(), streamtest.Entries(stream, ids))
	res.check(t)
	if res.duplicates > 0 {
		t.Errorf("%d duplicate runs after clean stops, want 0", res.duplicates)
	}
	for _, id := range ids {
		if c := seen.Count(streamtest.Entry{Stream: stream, ID: id}); c > 1 {
			t.Errorf("entry %s handled %d times", id, c)
			break
		}
	}
	results.add(t, row{
		scenario: "stop under load, restart", messages: n, handled: res.handled, lost: res.lost,
		duplicates: res.duplicates, elapsed: elapsed, notes: strings.Join(notes, "; "),
	})
}

// stopConfig is the processor config of TestReliabilityStopUnderLoad.
func stopConfig(stream, consumer string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: consumer, BatchSize: 100,
		Block: 100 * time.Millisecond, Concurrency: 16,
		MinIdle: 500 * time.Millisecond, ReclaimInterval: 100 * time.Millisecond,
	}
}
