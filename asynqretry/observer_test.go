package asynqretry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// events is an Observer that records "retried <route> <attempt>" and
// "dead <route> <attempt>" lines.
type events struct {
	mu    sync.Mutex
	lines []string
}

var _ dispatcher.Observer = (*events)(nil)

func (e *events) Retried(msg *dispatcher.Message, route string) { e.add("retried", msg, route) }

func (e *events) DeadLettered(msg *dispatcher.Message, route string) { e.add("dead", msg, route) }

// ObserveOutcome and Reclaimed are the Processor's events: never called by
// the retry side.
func (e *events) ObserveOutcome(*dispatcher.Message, dispatcher.Outcome) {
	panic("ObserveOutcome called by asynqretry")
}
func (e *events) Reclaimed(string, string, int) { panic("Reclaimed called by asynqretry") }

func (e *events) add(what string, msg *dispatcher.Message, route string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, fmt.Sprintf("%s %s %s %d", what, msg.Stream, route, msg.Attempt))
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.lines)
}

// TestObserver checks that Config.Observer is told each retry stored (the
// first by ScheduleRetry, the next ones by the worker) and each dead letter
// written, once, with the message and the route, and nothing more when a
// retry succeeds.
func TestObserver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fail func(n int) error
		want []string
	}{
		{name: "runs exhausted", fail: func(int) error { return errors.New("boom") },
			want: []string{"retried orders flaky 1", "retried orders flaky 2", "dead orders flaky 3"}},
		{name: "succeeds on the second run", fail: func(n int) error {
			if n == 1 {
				return errors.New("once")
			}
			return nil
		}, want: []string{"retried orders flaky 1"}},
		{name: "permanent on a retry", fail: func(n int) error {
			if n == 1 {
				return errors.New("transient")
			}
			return dispatcher.Permanent(errors.New("bad"))
		}, want: []string{"retried orders flaky 1", "dead orders flaky 2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obs := &events{}
			cfg := fastConfig()
			cfg.MaxAttempts, cfg.Observer = 3, obs
			e := newEnv(t, cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
				route(d, runs, "order.paid", "flaky", tc.fail)
			})
			deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid"})
			waitFor(t, "an empty asynq queue", func() bool {
				return len(e.runs.get("flaky")) > 1 && e.queued(t) == 0
			})
			if got := obs.get(); !slices.Equal(got, tc.want) {
				t.Errorf("observed %q, want %q", got, tc.want)
			}
		})
	}
}

// TestObserverScheduleSideDeadLetter checks that ScheduleRetry tells the
// Observer when it dead-letters a request that already reached MaxAttempts.
func TestObserverScheduleSideDeadLetter(t *testing.T) {
	t.Parallel()
	obs := &events{}
	cfg := fastConfig()
	cfg.MaxAttempts, cfg.Observer = 2, obs
	sched, e := newScheduler(t, cfg)
	msg := dispatcher.NewMessage("orders", "1-1", map[string]string{"type": "order.paid"})
	msg.Attempt = 2
	err := sched.ScheduleRetry(context.Background(), dispatcher.RetryRequest{Message: msg, Route: "flaky", Attempt: 2, Err: errors.New("boom")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := obs.get(), []string{"dead orders flaky 2"}; !slices.Equal(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
	if n := len(e.deadLetters(t, "orders")); n != 1 {
		t.Errorf("%d dead letters, want 1", n)
	}
}
