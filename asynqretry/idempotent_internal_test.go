package asynqretry

import (
	"context"
	"errors"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestRetryTaskSkipsACompletedIdempotentRoute runs the same retry task
// twice, as asynq does when a worker died after the route succeeded and
// before the task was marked done: the idempotent route runs once (the
// first run records its completion marker), the plain one twice.
func TestRetryTaskSkipsACompletedIdempotentRoute(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	runs := map[string]int{}
	d := dispatcher.New(dispatcher.Config{})
	for _, name := range []string{"charge", "audit"} {
		var opts []dispatcher.RouteOption
		if name == "charge" {
			opts = append(opts, dispatcher.Idempotent())
		}
		d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error {
			runs[name]++
			return nil
		}, append(opts, dispatcher.Named(name))...)
	}
	sched, err := NewScheduler(rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sched.Close() })
	srv, err := NewServer(rdb, d, sched)
	if err != nil {
		t.Fatal(err)
	}
	msg := dispatcher.NewMessage("orders", "1-1", map[string]string{"type": "order.paid"})
	msg.ConsumerGroup = "g"
	for _, route := range []string{"charge", "audit"} {
		task, err := newPayload(msg, route, 1, errors.New("transient")).task()
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := srv.ProcessTask(context.Background(), task); err != nil {
				t.Fatalf("ProcessTask(%s): %v", route, err)
			}
		}
	}
	if runs["charge"] != 1 || runs["audit"] != 2 {
		t.Errorf("runs = %v, want charge once (idempotent) and audit twice", runs)
	}
}
