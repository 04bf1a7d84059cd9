package asynqretry_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

func TestRetryRunsOnlyTheFailedRouteUntilItSucceeds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig(), func(d *dispatcher.Dispatcher, runs *recorder) {
		route(d, runs, "order.paid", "before", ok)
		route(d, runs, "order.paid", "flaky", func(n int) error {
			if n <= 2 {
				return fmt.Errorf("transient %d", n)
			}
			return nil
		})
		route(d, runs, "order.paid", "after", ok)
	})
	_, out := deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid", "order_id": "42"})
	if out.Action != dispatcher.Ack || out.Scheduled != 1 || out.Handled != 2 {
		t.Fatalf("outcome = %+v, want Ack with 1 scheduled and 2 handled", out)
	}
	waitFor(t, "three runs of flaky", func() bool { return len(e.runs.get("flaky")) == 3 })
	waitFor(t, "an empty asynq queue", func() bool { return e.queued(t) == 0 })

	if got := e.runs.get("flaky"); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("flaky saw attempts %v, want [1 2 3]", got)
	}
	for _, name := range []string{"before", "after"} {
		if got := e.runs.get(name); !reflect.DeepEqual(got, []int{1}) {
			t.Errorf("%s saw attempts %v, want [1]", name, got)
		}
	}
	if n := e.pending(t, "orders"); n != 0 {
		t.Errorf("PEL has %d entries, want 0", n)
	}
	if dl := e.deadLetters(t, "orders"); len(dl) != 0 {
		t.Errorf("dead letters = %v, want none", dl)
	}
}

func TestRetryEndsInTheDeadLetterStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         func(n int) error
		removeRoute  bool
		wantRuns     []int
		wantAttempts string
		wantReason   []string
	}{
		{
			name:         "always failing route, after MaxAttempts",
			fail:         func(n int) error { return fmt.Errorf("boom %d", n) },
			wantRuns:     []int{1, 2, 3},
			wantAttempts: "3",
			wantReason:   []string{"boom 3"},
		},
		{
			name: "permanent error on a retry, at once",
			fail: func(n int) error {
				if n == 1 {
					return errors.New("transient")
				}
				return dispatcher.Permanent(errors.New("bad order"))
			},
			wantRuns:     []int{1, 2},
			wantAttempts: "2",
			wantReason:   []string{"bad order"},
		},
		{
			name:         "route removed before the retry, at once",
			fail:         func(n int) error { return errors.New("first failure") },
			removeRoute:  true,
			wantRuns:     []int{1},
			wantAttempts: "1",
			wantReason:   []string{dispatcher.ErrRouteNotFound.Error(), "first failure"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := fastConfig()
			cfg.MaxAttempts = 3
			e := newEnv(t, cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
				route(d, runs, "order.paid", "fine", ok)
				if !tc.removeRoute {
					route(d, runs, "order.paid", "bad", tc.fail)
				}
			})
			producer := e.d
			if tc.removeRoute {
				// The stream side still has the route (an older deploy); the
				// worker's dispatcher no longer does.
				producer = dispatcher.New(dispatcher.Config{Retry: e.sched})
				route(producer, e.runs, "order.paid", "fine", ok)
				route(producer, e.runs, "order.paid", "bad", tc.fail)
			}
			id, out := deliver(t, e.rdb, producer, "orders", map[string]any{"type": "order.paid", "order_id": "42"})
			if out.Action != dispatcher.Ack || out.Scheduled != 1 {
				t.Fatalf("outcome = %+v, want Ack with 1 scheduled", out)
			}
			waitFor(t, "a dead letter", func() bool { return len(e.deadLetters(t, "orders")) > 0 })
			waitFor(t, "an empty asynq queue", func() bool { return e.queued(t) == 0 })

			checkDeadLetter(t, e.deadLetters(t, "orders"), id, tc.wantAttempts, tc.wantReason)
			if got := e.runs.get("bad"); !reflect.DeepEqual(got, tc.wantRuns) {
				t.Errorf("bad saw attempts %v, want %v", got, tc.wantRuns)
			}
			if got := e.runs.get("fine"); !reflect.DeepEqual(got, []int{1}) {
				t.Errorf("fine saw attempts %v, want [1]", got)
			}
			if n := e.pending(t, "orders"); n != 0 {
				t.Errorf("PEL has %d entries, want 0", n)
			}
		})
	}
}

func checkDeadLetter(t *testing.T, dl []redis.XMessage, id, attempts string, reason []string) {
	t.Helper()
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want 1: %v", len(dl), dl)
	}
	v := dl[0].Values
	want := map[string]string{
		"type": "order.paid", "order_id": "42",
		dispatcher.DeadRouteField: "bad", dispatcher.DeadAttemptsField: attempts,
		dispatcher.DeadStreamField: "orders", dispatcher.DeadIDField: id,
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("dead letter %s = %v, want %q", k, v[k], w)
		}
	}
	got, _ := v[dispatcher.DeadReasonField].(string)
	for _, r := range reason {
		if !strings.Contains(got, r) {
			t.Errorf("dead_reason %q does not contain %q", got, r)
		}
	}
	if v[dispatcher.DeadAtField] == nil {
		t.Errorf("dead letter has no %s", dispatcher.DeadAtField)
	}
}

// TestScheduleFailureLeavesTheEntryPending points the scheduler at a Redis
// that does not answer: the Dispatcher must not ack.
func TestScheduleFailureLeavesTheEntryPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig(), func(*dispatcher.Dispatcher, *recorder) {})
	dead := unreachable(t)
	sched, err := asynqretry.NewScheduler(dead, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	route(d, e.runs, "order.paid", "bad", func(int) error { return errors.New("boom") })

	_, out := deliver(t, e.rdb, d, "orders", map[string]any{"type": "order.paid"})
	if out.Action != dispatcher.Retry || out.ScheduleErr == nil {
		t.Fatalf("outcome = %+v, want Retry with a ScheduleErr", out)
	}
	if n := e.pending(t, "orders"); n != 1 {
		t.Errorf("PEL has %d entries, want 1 (the entry stays pending)", n)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("asynq holds %d tasks, want 0", n)
	}
	if err := sched.ScheduleRetry(context.Background(), dispatcher.RetryRequest{
		Message: dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "x"}), Route: "bad", Attempt: 1,
	}); err == nil {
		t.Error("ScheduleRetry against an unreachable Redis returned nil")
	}
}

// unreachable returns a client for a loopback port nothing listens on.
func unreachable(t *testing.T) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr: fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t)), MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
