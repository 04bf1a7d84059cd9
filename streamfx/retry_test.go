package streamfx_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// fastRetry is an asynq retry config with millisecond backoff.
func fastRetry(maxAttempts int) asynqretry.Config {
	return asynqretry.Config{
		MaxAttempts:              maxAttempts,
		Backoff:                  func(int) time.Duration { return 10 * time.Millisecond },
		DelayedTaskCheckInterval: 20 * time.Millisecond,
		TaskCheckInterval:        20 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
	}
}

// TestRetryEnabledAppRetriesOneRoute: with WithAsynqRetry, a failing route
// is retried alone through asynq until it succeeds; the route that
// succeeded runs once, and the stream entry is acknowledged.
func TestRetryEnabledAppRetriesOneRoute(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	attempts := make(chan int, 8)
	var okRuns atomic.Int32
	flaky := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "orders.flaky", Handler: dispatcher.HandlerFunc(
			func(_ context.Context, m *dispatcher.Message) error {
				attempts <- m.Attempt
				if m.Attempt < 3 {
					return fmt.Errorf("attempt %d: upstream unavailable", m.Attempt)
				}
				return nil
			})}
	}
	ok := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "orders.ok", Handler: dispatcher.HandlerFunc(
			func(context.Context, *dispatcher.Message) error { okRuns.Add(1); return nil })}
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", "")}}
	var (
		pub   *redisstream.Publisher
		retry dispatcher.RetryScheduler
		sched *asynqretry.Scheduler
	)
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, streamfx.WithAsynqRetry(fastRetry(5)),
		fx.Provide(streamfx.AsRoute(flaky), streamfx.AsRoute(ok)), fx.Populate(&pub, &retry, &sched))
	if retry != sched {
		t.Error("the dispatcher's RetryScheduler is not the provided *asynqretry.Scheduler")
	}
	app.RequireStart()
	if _, err := pub.Publish(context.Background(), "orders", "order.paid", map[string]any{"id": 7}); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		if got := receive(t, attempts, fmt.Sprintf("run %d of the flaky route", want)); got != want {
			t.Fatalf("run %d has Attempt %d", want, got)
		}
	}
	eventually(t, "the entry acknowledged", func() bool { return pending(t, rdb, "orders", streamfx.DefaultConsumerGroup) == 0 })
	app.RequireStop()
	if n := okRuns.Load(); n != 1 {
		t.Errorf("the succeeding route ran %d times, want 1: a retry runs only the failed route", n)
	}
	if n := len(attempts); n != 0 {
		t.Errorf("the flaky route ran %d more times after succeeding", n)
	}
}

// TestRetryExhaustedGoesToConfiguredDeadLetterStream: after MaxAttempts
// runs the route is dead-lettered to the stream's configured dead-letter
// stream, which WithAsynqRetry passes on to the retry side.
func TestRetryExhaustedGoesToConfiguredDeadLetterStream(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	broken := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "orders.broken", Handler: dispatcher.HandlerFunc(
			func(context.Context, *dispatcher.Message) error { return errors.New("always broken") })}
	}
	s := fastStream("orders", "")
	s.DeadLetterStream = "orders:graveyard"
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{s}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, streamfx.WithAsynqRetry(fastRetry(2)),
		fx.Provide(streamfx.AsRoute(broken)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()
	if _, err := pub.Publish(context.Background(), "orders", "order.paid", map[string]any{"id": 8}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eventually(t, "a dead letter", func() bool { return rdb.XLen(ctx, "orders:graveyard").Val() == 1 })
	entries, err := rdb.XRange(ctx, "orders:graveyard", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	f := entries[0].Values
	if f[dispatcher.DeadRouteField] != "orders.broken" || f[dispatcher.DeadAttemptsField] != "2" {
		t.Errorf("dead letter = %v, want route orders.broken after 2 attempts", f)
	}
	if n := rdb.Exists(ctx, "orders:dead").Val(); n != 0 {
		t.Error("the default dead-letter stream was used instead of the configured one")
	}
}
