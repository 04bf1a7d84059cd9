package asynqretry_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/deadletter"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestMain fails the package if any test leaves a goroutine behind (asynq
// server, go-redis client, handler).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testGroup   = "g"
	waitTimeout = 20 * time.Second
)

// fastConfig keeps every delay in milliseconds: speed comes from
// configuration, not from sleeping through asynq's defaults.
func fastConfig() asynqretry.Config {
	return asynqretry.Config{
		MaxAttempts:              5,
		Backoff:                  asynqretry.ExponentialBackoff(5*time.Millisecond, 20*time.Millisecond, 0),
		DelayedTaskCheckInterval: 10 * time.Millisecond,
		TaskCheckInterval:        10 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		MaxTaskRetry:             3,
	}
}

// env is one test's Redis, scheduler, dispatcher and running asynq server.
type env struct {
	rdb   redis.UniversalClient
	sched *asynqretry.Scheduler
	d     *dispatcher.Dispatcher
	srv   *asynqretry.Server
	insp  *asynq.Inspector
	cfg   asynqretry.Config
	runs  *recorder
}

// newEnv starts Redis and an asynq server; mount adds the routes to the
// dispatcher both the stream side and the worker side use.
func newEnv(t *testing.T, cfg asynqretry.Config, mount func(d *dispatcher.Dispatcher, runs *recorder)) *env {
	t.Helper()
	return newEnvOn(t, redistest.Start(t).Client(t), cfg, mount)
}

// newEnvOn is newEnv on a given client (a single node or a cluster).
func newEnvOn(t *testing.T, rdb redis.UniversalClient, cfg asynqretry.Config, mount func(d *dispatcher.Dispatcher, runs *recorder)) *env {
	t.Helper()
	e := &env{rdb: rdb, runs: newRecorder()}
	var err error
	if e.sched, err = asynqretry.NewScheduler(e.rdb, cfg); err != nil {
		t.Fatal(err)
	}
	e.cfg = e.sched.Config()
	e.d = dispatcher.New(dispatcher.Config{Retry: e.sched})
	mount(e.d, e.runs)
	if e.srv, err = asynqretry.NewServer(e.rdb, e.d, e.sched); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	e.insp = asynq.NewInspectorFromRedisClient(e.rdb)
	return e
}

// deliver plays a minimal stream consumer: XADD, XREADGROUP, Dispatcher.Process,
// then XACK / dead-letter / leave pending as the Outcome says.
func deliver(t *testing.T, rdb redis.UniversalClient, d *dispatcher.Dispatcher, stream string, fields map[string]any) (string, dispatcher.Outcome) {
	t.Helper()
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, stream, testGroup, "$").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		t.Fatal(err)
	}
	if _, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: fields}).Result(); err != nil {
		t.Fatal(err)
	}
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: testGroup, Consumer: "c", Streams: []string{stream, ">"}, Count: 1, Block: -1}).Result()
	if err != nil || len(res) != 1 || len(res[0].Messages) != 1 {
		t.Fatalf("XREADGROUP: %v %v", res, err)
	}
	entry := res[0].Messages[0]
	raw := make(map[string]string, len(entry.Values))
	for k, v := range entry.Values {
		raw[k] = v.(string)
	}
	msg := dispatcher.NewMessage(stream, entry.ID, raw)
	out := d.Process(ctx, msg)
	switch out.Action {
	case dispatcher.DeadLetter:
		if err := deadletter.Write(ctx, rdb, dispatcher.DeadLetterStream(stream), msg, out.Failures, msg.Attempt); err != nil {
			t.Fatal(err)
		}
		fallthrough
	case dispatcher.Ack:
		if err := rdb.XAck(ctx, stream, testGroup, entry.ID).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return entry.ID, out
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// queued returns the number of tasks asynq holds in the queue, in any state.
func (e *env) queued(t *testing.T) int {
	t.Helper()
	queues, err := e.insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(queues, e.cfg.Queue) {
		return 0 // nothing was ever enqueued
	}
	info, err := e.insp.GetQueueInfo(e.cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	// Completed tasks are not counted: first retries are retained for
	// Config.DedupWindow as a record of what was scheduled, not as work.
	return info.Pending + info.Active + info.Scheduled + info.Retry + info.Archived + info.Aggregating
}

// pending returns the size of the stream's PEL for the test group.
func (e *env) pending(t *testing.T, stream string) int64 {
	t.Helper()
	p, err := e.rdb.XPending(context.Background(), stream, testGroup).Result()
	if err != nil {
		t.Fatal(err)
	}
	return p.Count
}

// deadLetters returns the entries of the stream's dead-letter stream.
func (e *env) deadLetters(t *testing.T, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := e.rdb.XRange(context.Background(), dispatcher.DeadLetterStream(stream), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// recorder records the run numbers each route saw.
type recorder struct {
	mu   sync.Mutex
	runs map[string][]int
}

func newRecorder() *recorder { return &recorder{runs: map[string][]int{}} }

func (r *recorder) add(route string, attempt int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[route] = append(r.runs[route], attempt)
	return len(r.runs[route])
}

func (r *recorder) get(route string) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.runs[route]...)
}

// route registers a named route that records its runs and returns fn's error
// for the n-th run (1-based).
func route(d *dispatcher.Dispatcher, runs *recorder, eventType, name string, fn func(n int) error) {
	d.OnFunc(eventType, func(_ context.Context, msg *dispatcher.Message) error {
		return fn(runs.add(name, msg.Attempt))
	}, dispatcher.Named(name))
}

func ok(int) error { return nil }
