package streamfx_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// TestSplitWorkersRunOnlyTheirOwnRetries: two workers of one binary share a
// Redis and a stream, each with its own consumer group and enabled group.
// Each worker's retries go to its own asynq queue, so a retry of the billing
// route is never picked up by the emails worker (which does not mount it and
// would have to dead-letter it).
func TestSplitWorkersRunOnlyTheirOwnRetries(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	const failures = 4
	var billingRuns, emailRuns atomic.Int32
	billing := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "billing.charge", Group: "billing",
			Handler: dispatcher.HandlerFunc(func(_ context.Context, m *dispatcher.Message) error {
				billingRuns.Add(1)
				if m.Attempt <= failures {
					return fmt.Errorf("attempt %d: gateway down", m.Attempt)
				}
				return nil
			})}
	}
	emails := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "emails.receipt", Group: "emails",
			Handler: dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { emailRuns.Add(1); return nil })}
	}
	worker := func(group string) (*fxtest.App, *redisstream.Publisher) {
		cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", group)}, RouteGroups: []string{group}}
		var pub *redisstream.Publisher
		app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, streamfx.WithAsynqRetry(fastRetry(10)),
			fx.Provide(streamfx.AsRoute(billing), streamfx.AsRoute(emails)), fx.Populate(&pub))
		return app, pub
	}
	billingApp, pub := worker("billing")
	emailsApp, _ := worker("emails")
	billingApp.RequireStart()
	emailsApp.RequireStart()
	if _, err := pub.Publish(context.Background(), "orders", "order.paid", map[string]any{"id": 1}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the billing route succeeds after its retries", func() bool { return billingRuns.Load() == failures+1 })
	eventually(t, "both groups acknowledged", func() bool {
		return pending(t, rdb, "orders", "billing") == 0 && pending(t, rdb, "orders", "emails") == 0
	})
	emailsApp.RequireStop()
	billingApp.RequireStop()
	if n := rdb.XLen(context.Background(), "orders:dead").Val(); n != 0 {
		t.Errorf("%d dead letters: a worker ran a retry of a route it does not mount", n)
	}
	if n := emailRuns.Load(); n != 1 {
		t.Errorf("the emails route ran %d times, want 1", n)
	}
}
