package asynqretry_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestClusterRetryAndDeadLetter runs the retry path on a 3-master Redis
// Cluster: asynq's keys, the stream and its dead-letter stream live on
// different nodes.
func TestClusterRetryAndDeadLetter(t *testing.T) {
	t.Parallel()
	cluster := redistest.StartCluster(t, 3)
	cfg := fastConfig()
	cfg.MaxAttempts = 3
	e := newEnvOn(t, cluster.Client(t), cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
		route(d, runs, "order.paid", "flaky", func(n int) error {
			if n < 2 {
				return errors.New("transient")
			}
			return nil
		})
		route(d, runs, "order.paid", "bad", func(n int) error { return fmt.Errorf("boom %d", n) })
	})
	id, out := deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid", "order_id": "42"})
	if out.Action != dispatcher.Ack || out.Scheduled != 2 {
		t.Fatalf("outcome = %+v, want Ack with 2 scheduled", out)
	}
	waitFor(t, "a dead letter", func() bool { return len(e.deadLetters(t, "orders")) == 1 })
	waitFor(t, "an empty asynq queue", func() bool { return e.queued(t) == 0 })
	checkDeadLetter(t, e.deadLetters(t, "orders"), id, "3", []string{"boom 3"})
	if got := e.runs.get("flaky"); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("flaky saw attempts %v, want [1 2]", got)
	}
	if n := e.pending(t, "orders"); n != 0 {
		t.Errorf("PEL has %d entries, want 0", n)
	}
}
