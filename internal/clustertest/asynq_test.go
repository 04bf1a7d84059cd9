package clustertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
	"github.com/streamfx/streamfx/streamfx"
)

// retryQueue is the asynq queue of the retries: its keys are
// "asynq:{cluster-retries}:...", one slot.
const retryQueue = "cluster-retries"

// TestClusterAsynqRetryThroughFx runs an fx app (streamfx.Module with
// WithAsynqRetry) on a *redis.ClusterClient: two streams on two masters,
// asynq's queue in its own slot. A flaky route on each stream succeeds on
// its third run through asynq, and a broken route is dead-lettered after
// MaxAttempts; every stream entry is acknowledged. While retries are
// scheduled, every asynq key on every master is either one of asynq's
// global keys or carries the queue's hash tag and lives on the queue's
// master. asynq logs no warning or error (no CROSSSLOT), and its Inspector
// works on the cluster too.
func TestClusterAsynqRetryThroughFx(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	requireSpread(t, rdb, ordersStream, usersStream)
	log, logs := observed(t)
	flaky := new(streamtest.Recorder)
	var pub *redisstream.Publisher
	app := fxtest.New(t,
		fx.NopLogger,
		fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream(ordersStream), fastStream(usersStream)}}),
		fx.Provide(func() redis.UniversalClient { return rdb }, func() *zap.Logger { return log }),
		streamfx.Module,
		streamfx.WithAsynqRetry(asynqretry.Config{
			Queue: retryQueue, MaxAttempts: 3,
			Backoff:                  func(int) time.Duration { return 300 * time.Millisecond },
			DelayedTaskCheckInterval: 20 * time.Millisecond, TaskCheckInterval: 20 * time.Millisecond,
			ShutdownTimeout: 5 * time.Second,
		}),
		fx.Provide(
			streamfx.AsRoute(func() dispatcher.Route { return flakyRoute("order.paid", "orders.flaky", flaky) }),
			streamfx.AsRoute(func() dispatcher.Route { return brokenRoute("order.paid", "orders.broken") }),
			streamfx.AsRoute(func() dispatcher.Route { return flakyRoute("user.registered", "users.flaky", flaky) }),
		),
		fx.Populate(&pub),
	)
	app.RequireStart()
	orders := publishN(t, pub, ordersStream, "order.paid", 5)
	users := publishN(t, pub, usersStream, "user.registered", 5)
	want := append(slices.Clone(orders), users...)

	eventually(t, "retries scheduled", func() bool {
		return rdb.ZCard(context.Background(), "asynq:{"+retryQueue+"}:scheduled").Val() > 0
	})
	checkAsynqKeys(t, rdb)
	eventually(t, "every flaky route run three times", func() bool { return flakyDone(flaky, want) })
	dl := dispatcher.DeadLetterStream(ordersStream)
	eventually(t, "the broken route dead-lettered", func() bool { return rdb.XLen(context.Background(), dl).Val() == 5 })
	for _, s := range []string{ordersStream, usersStream} {
		if n := pending(t, rdb, s, streamfx.DefaultConsumerGroup); n != 0 {
			t.Errorf("%s has %d pending entries, want 0: entries are acked once their retries are scheduled", s, n)
		}
	}
	checkInspector(t, rdb)
	app.RequireStop()

	for _, e := range want {
		if got := flaky.Attempts(e); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("flaky route on %s ran with attempts %v, want [1 2 3]", e, got)
		}
	}
	checkDeadLetters(t, entries(t, rdb, dl), ordersStream, deadIDs(orders, "3"))
	checkAsynqQuiet(t, logs)
}

// fastStream returns a stream config with short intervals.
func fastStream(name string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{Streams: []string{name}, Consumer: "c1", Block: 50 * time.Millisecond,
		MinIdle: 2 * time.Second, ReclaimInterval: 100 * time.Millisecond}
}

// flakyRoute returns a route that records its runs and fails before the
// third.
func flakyRoute(typ, name string, rec *streamtest.Recorder) dispatcher.Route {
	return dispatcher.Route{Type: typ, Name: name, Handler: dispatcher.HandlerFunc(
		func(_ context.Context, msg *dispatcher.Message) error {
			rec.Record(msg)
			if msg.Attempt < 3 {
				return fmt.Errorf("run %d: upstream unavailable", msg.Attempt)
			}
			return nil
		})}
}

// brokenRoute returns a route that always fails.
func brokenRoute(typ, name string) dispatcher.Route {
	return dispatcher.Route{Type: typ, Name: name, Handler: dispatcher.HandlerFunc(
		func(context.Context, *dispatcher.Message) error { return errBroken })}
}

// flakyDone reports whether the flaky route ran three times for each entry.
func flakyDone(rec *streamtest.Recorder, want []streamtest.Entry) bool {
	for _, e := range want {
		if len(rec.Attempts(e)) < 3 {
			return false
		}
	}
	return true
}

// deadIDs maps the IDs of es to attempts.
func deadIDs(es []streamtest.Entry, attempts string) map[string]string {
	m := make(map[string]string, len(es))
	for _, e := range es {
		m[e.ID] = attempts
	}
	return m
}

// checkAsynqKeys scans every master for asynq's keys and fails t unless
// each is a global key of asynq or carries the queue's hash tag and lives
// on the queue's master, and unless some task hash is there.
func checkAsynqKeys(t *testing.T, rdb *redis.ClusterClient) {
	t.Helper()
	tag := "{" + retryQueue + "}"
	queueNode := nodeOf(t, rdb, "asynq:"+tag+":pending")
	global := []string{"asynq:queues", "asynq:servers", "asynq:workers", "asynq:servers:{", "asynq:workers:{"}
	var mu sync.Mutex // ForEachMaster calls fn concurrently
	byNode := map[string][]string{}
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		keys, err := node.Keys(ctx, "asynq:*").Result()
		mu.Lock()
		defer mu.Unlock()
		byNode[node.Options().Addr] = keys
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tasks := 0
	for addr, keys := range byNode {
		for _, k := range keys {
			switch {
			case strings.HasPrefix(k, "asynq:"+tag+":"):
				if addr != queueNode {
					t.Errorf("asynq key %s is on %s, not on the queue's master %s", k, addr, queueNode)
				}
				if strings.HasPrefix(k, "asynq:"+tag+":t:") {
					tasks++
				}
			case !slices.ContainsFunc(global, func(g string) bool { return k == g || strings.HasPrefix(k, g) && strings.HasSuffix(g, "{") }):
				t.Errorf("unexpected asynq key %s on %s", k, addr)
			}
		}
		t.Logf("asynq keys on %s: %q", addr, keys)
	}
	if tasks == 0 {
		t.Errorf("no task hash asynq:%s:t:* found while retries are scheduled", tag)
	}
}

// checkInspector reads the queue through asynq's Inspector on the cluster:
// nothing is left in it, and it ran tasks.
func checkInspector(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb) // shared: never closed by asynq
	var info *asynq.QueueInfo
	eventually(t, "an empty asynq queue", func() bool {
		var err error
		info, err = insp.GetQueueInfo(retryQueue)
		if err != nil {
			t.Fatalf("Inspector.GetQueueInfo on the cluster: %v", err)
		}
		// Completed first retries are retained (asynqretry.Config.DedupWindow): not work.
		return info.Size-info.Completed == 0
	})
	if info.ProcessedTotal == 0 {
		t.Errorf("queue info %+v: no task processed", info)
	}
	servers, err := insp.Servers()
	if err != nil || len(servers) != 1 {
		t.Errorf("Inspector.Servers on the cluster: %d servers, %v; want 1", len(servers), err)
	}
	t.Logf("asynq queue %s: processed %d, failed %d, size %d", retryQueue, info.ProcessedTotal, info.FailedTotal, info.Size)
}

// checkAsynqQuiet fails t if asynq logged a warning or an error, or if any
// log mentions CROSSSLOT.
func checkAsynqQuiet(t *testing.T, logs *observer.ObservedLogs) {
	t.Helper()
	if logs.Filter(func(e observer.LoggedEntry) bool { return e.LoggerName == "asynq" }).Len() == 0 {
		t.Error("nothing logged by asynq: is its logger still named \"asynq\"?")
	}
	for _, e := range logs.All() {
		bad := e.LoggerName == "asynq" && e.Level >= zapcore.WarnLevel
		for _, f := range e.Context {
			if strings.Contains(f.String, "CROSSSLOT") || f.Interface != nil && strings.Contains(fmt.Sprint(f.Interface), "CROSSSLOT") {
				bad = true
			}
		}
		if bad || strings.Contains(e.Message, "CROSSSLOT") {
			t.Errorf("asynq on the cluster logged %s %q %v", e.Level, e.Message, e.ContextMap())
		}
	}
}
