package redisstream

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// blockingObserver blocks ObserveOutcome of the entry id until release is
// closed, after closing observing: it holds the settler busy.
type blockingObserver struct {
	id        string
	observing chan struct{}
	release   chan struct{}
	once      sync.Once
}

func (o *blockingObserver) ObserveOutcome(msg *dispatcher.Message, _ dispatcher.Outcome) {
	if msg.ID == o.id {
		o.once.Do(func() { close(o.observing) })
		<-o.release
	}
}
func (o *blockingObserver) Retried(*dispatcher.Message, string)      {}
func (o *blockingObserver) DeadLettered(*dispatcher.Message, string) {}
func (o *blockingObserver) Reclaimed(string, string, int)            {}

// TestAbortedStopAcksWhatFinished: Shutdown's context ends while a
// handler waits for its context (an aborted stop). An entry
// whose handler returned before the abort, while the settler was busy
// with an earlier one, must still be acknowledged (Processor.Shutdown:
// "what finished before is still acknowledged"), not left pending to run
// again.
func TestAbortedStopAcksWhatFinished(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	const stream = "abort-finished"
	add := func(typ string) string {
		return rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", typ}}).Val()
	}
	cancelled := make(chan struct{})
	releaseSecond, secondDone := make(chan struct{}), make(chan struct{})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("stuck", func(ctx context.Context, _ *dispatcher.Message) error {
		<-ctx.Done()
		close(cancelled)
		return ctx.Err()
	})
	d.OnFunc("first", func(context.Context, *dispatcher.Message) error { return nil })
	d.OnFunc("second", func(context.Context, *dispatcher.Message) error {
		<-releaseSecond
		defer close(secondDone)
		return nil
	})
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	add("stuck")
	first := add("first")
	second := add("second")
	obs := &blockingObserver{id: first, observing: make(chan struct{}), release: make(chan struct{})}
	p, err := NewProcessor(rdb, d, ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: "c1", Block: 50 * time.Millisecond, Concurrency: 3,
		MinIdle: 30 * time.Second, Observer: obs, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(stopWait):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	wait("the settler busy with the first entry", obs.observing)
	close(releaseSecond)
	wait("the second entry's handler returned", secondDone)
	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- p.Shutdown(stopCtx) }()
	wait("the stop aborted (the stuck handler's context cancelled)", cancelled)
	close(obs.release)
	if err := <-stopped; err == nil {
		t.Fatal("Shutdown returned nil, want the context's error (aborted)")
	}
	pend, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "g", Start: "-", End: "+", Count: 10}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pend {
		if e.ID == first || e.ID == second {
			t.Errorf("entry %s (first %s, second %s) pending after an aborted stop although its handler returned before the abort", e.ID, first, second)
		}
	}
}
