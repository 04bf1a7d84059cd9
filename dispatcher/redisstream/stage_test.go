package redisstream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
	"github.com/streamfx/streamfx/internal/redistest"
)

// stageWait bounds every wait of the stage tests.
const stageWait = 15 * time.Second

// stageEnv is a redis-server with a stream, its group "g", and the parts
// a stage is wired to: the in-flight set and a feed whose batches and
// deleted IDs the test reads.
type stageEnv struct {
	t       *testing.T
	rdb     *redis.Client
	cfg     ProcessorConfig
	flights *inflight
	feed    *feed
	out     chan job
	deleted chan deletedEntries
}

func newStageEnv(t *testing.T, stream string) *stageEnv {
	rdb := redistest.Start(t).Client(t)
	if err := rdb.XGroupCreateMkStream(context.Background(), stream, "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	cfg, err := ProcessorConfig{Streams: []string{stream}, Group: "g", Consumer: "c1", BatchSize: 10,
		Block: 50 * time.Millisecond, MinIdle: 200 * time.Millisecond, ReclaimInterval: 20 * time.Millisecond,
		MaxDeliveries: 3, Logger: zaptest.NewLogger(t)}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	e := &stageEnv{t: t, rdb: rdb, cfg: cfg, flights: newInflight(),
		out: make(chan job, 16), deleted: make(chan deletedEntries, 16)}
	e.feed = &feed{rdb: rdb, cfg: cfg, flights: e.flights, out: e.out, deleted: e.deleted,
		giveBack: func(job) {}, d: dispatcher.New(dispatcher.Config{}),
		markers: marker.New(rdb, cfg.Group, cfg.MarkerTTL), log: cfg.Logger}
	return e
}

// add appends n entries of type typ to stream and returns their IDs.
func (e *stageEnv) add(stream, typ string, n int) []string {
	e.t.Helper()
	var ids []string
	for range n {
		id, err := e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream,
			Values: []string{dispatcher.TypeField, typ}}).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// readAs reads up to n new entries of stream as consumer, leaving them
// pending for it, and returns their IDs.
func (e *stageEnv) readAs(stream, consumer string, n int) []string {
	e.t.Helper()
	res, err := e.rdb.XReadGroup(context.Background(), &redis.XReadGroupArgs{Group: "g", Consumer: consumer,
		Streams: []string{stream, ">"}, Count: int64(n), Block: -1}).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, m := range res[0].Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// pendingOf returns the pending entries of stream, by ID.
func (e *stageEnv) pendingOf(stream string) map[string]redis.XPendingExt {
	e.t.Helper()
	pend, err := e.rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{Stream: stream, Group: "g",
		Start: "-", End: "+", Count: 1000}).Result()
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]redis.XPendingExt{}
	for _, p := range pend {
		out[p.ID] = p
	}
	return out
}

// job receives the next batch the feed sent.
func (e *stageEnv) job() job {
	e.t.Helper()
	select {
	case u := <-e.out:
		return u
	case <-time.After(stageWait):
		e.t.Fatal("no batch sent to the scheduler")
	}
	return job{}
}

// waitFor polls cond until it holds, failing after stageWait.
func (e *stageEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(stageWait)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// held reports whether the in-flight set holds id of stream.
func (e *stageEnv) held(stream, id string) bool {
	e.flights.mu.Lock()
	defer e.flights.mu.Unlock()
	_, ok := e.flights.set[stream][id]
	return ok
}

// runStage runs fn in a goroutine until the test ends, then waits for it.
func runStage(t *testing.T, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// stubFence is a fence whose lease holds while held is set; it counts the
// times it was asked, so that a test can wait for a stage to have looked.
type stubFence struct {
	held  atomic.Bool
	asked atomic.Int64
}

func (f *stubFence) holds() bool { f.asked.Add(1); return f.held.Load() }

func (f *stubFence) ack(ctx context.Context, pipe redis.Pipeliner, stream string, ids []string) {
	pipe.XAck(ctx, stream, "g", ids...)
}

func (f *stubFence) deadLetter(context.Context, string, *dispatcher.Message, []dispatcher.RouteFailure, int) error {
	return nil
}

// waitAsked waits until f was asked n more times than now: the stage
// looked at the lease that often.
func (e *stageEnv) waitAsked(f *stubFence, n int64) {
	e.t.Helper()
	from := f.asked.Load()
	e.waitFor("the stage to look at its lease", func() bool { return f.asked.Load() >= from+n })
}
