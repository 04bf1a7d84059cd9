package asynqretry_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// newScheduler returns a scheduler on a fresh Redis, with no server running,
// so that scheduled tasks stay where the test can see them.
func newScheduler(t *testing.T, cfg asynqretry.Config) (*asynqretry.Scheduler, *env) {
	t.Helper()
	e := &env{rdb: redistest.Start(t).Client(t)}
	s, err := asynqretry.NewScheduler(e.rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.sched, e.cfg, e.insp = s, s.Config(), asynq.NewInspectorFromRedisClient(e.rdb)
	return s, e
}

func TestScheduleRetryTwiceStoresOneTask(t *testing.T) {
	t.Parallel()
	s, e := newScheduler(t, asynqretry.Config{})
	ctx := context.Background()
	msg := dispatcher.NewMessage("orders", "1700000000000-0", map[string]string{"type": "order.paid", "n": "json:7"})
	req := dispatcher.RetryRequest{Message: msg, Route: "bill", Attempt: 1, Err: errors.New("boom"), Delay: time.Hour}
	for i := range 2 {
		if err := s.ScheduleRetry(ctx, req); err != nil {
			t.Fatalf("schedule #%d: %v", i+1, err)
		}
	}
	tasks, err := e.insp.ListScheduledTasks(e.cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 {
		t.Fatalf("%d scheduled tasks, want 1", len(tasks))
	}
	task := tasks[0]
	if want := asynqretry.TaskID("orders", msg.ID, "bill", 0); task.ID != want || task.Type != asynqretry.TaskType {
		t.Errorf("task %s of type %s, want %s of type %s", task.ID, task.Type, want, asynqretry.TaskType)
	}
	if task.MaxRetry != e.cfg.MaxTaskRetry {
		t.Errorf("task MaxRetry = %d, want %d", task.MaxRetry, e.cfg.MaxTaskRetry)
	}
	if until := time.Until(task.NextProcessAt); until < 50*time.Minute {
		t.Errorf("task runs in %v, want about the requested hour", until)
	}
	var body map[string]any
	if err := json.Unmarshal(task.Payload, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"stream": "orders", "id": msg.ID, "type": "order.paid", "route": "bill", "attempt": 1.0, "error": "boom",
		"fields": map[string]any{"type": "order.paid", "n": "json:7"}}
	for k, v := range want {
		if got, _ := json.Marshal(body[k]); string(got) != mustJSON(t, v) {
			t.Errorf("payload %s = %s, want %s", k, got, mustJSON(t, v))
		}
	}

	// The same message redelivered from the stream (delivery 2, after a
	// retry of another route could not be scheduled) does not start a
	// second retry chain of this route.
	req.Attempt = 2
	if err := s.ScheduleRetry(ctx, req); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := e.insp.ListScheduledTasks(e.cfg.Queue); len(tasks) != 1 {
		t.Errorf("%d scheduled tasks after a redelivery, want still 1", len(tasks))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScheduleRetryRequests(t *testing.T) {
	t.Parallel()
	msg := func() *dispatcher.Message {
		return dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid"})
	}
	tests := []struct {
		name      string
		req       dispatcher.RetryRequest
		close     bool
		wantErr   error
		wantTasks int
		wantDead  int
	}{
		{name: "first failure is scheduled", req: dispatcher.RetryRequest{Message: msg(), Route: "r", Attempt: 1}, wantTasks: 1},
		{name: "attempt 0 counts as 1", req: dispatcher.RetryRequest{Message: msg(), Route: "r"}, wantTasks: 1},
		{name: "attempt at MaxAttempts is dead-lettered", req: dispatcher.RetryRequest{Message: msg(), Route: "r", Attempt: 3, Err: errors.New("x")}, wantDead: 1},
		{name: "nil message", req: dispatcher.RetryRequest{Route: "r", Attempt: 1}, wantErr: asynqretry.ErrInvalidRequest},
		{name: "no route", req: dispatcher.RetryRequest{Message: msg(), Attempt: 1}, wantErr: asynqretry.ErrInvalidRequest},
		{name: "no entry ID", req: dispatcher.RetryRequest{Message: dispatcher.NewMessage("orders", "", nil), Route: "r"}, wantErr: asynqretry.ErrInvalidRequest},
		{name: "after Close", req: dispatcher.RetryRequest{Message: msg(), Route: "r", Attempt: 1}, close: true, wantErr: asynqretry.ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, e := newScheduler(t, asynqretry.Config{MaxAttempts: 3})
			if tc.close {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
			err := s.ScheduleRetry(context.Background(), tc.req)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ScheduleRetry = %v, want %v", err, tc.wantErr)
			}
			if n := e.queued(t); n != tc.wantTasks {
				t.Errorf("%d tasks, want %d", n, tc.wantTasks)
			}
			dl := e.deadLetters(t, "orders")
			if len(dl) != tc.wantDead {
				t.Fatalf("%d dead letters, want %d", len(dl), tc.wantDead)
			}
			if tc.wantDead > 0 && dl[0].Values[dispatcher.DeadAttemptsField] != "3" {
				t.Errorf("dead letter attempts = %v, want 3", dl[0].Values[dispatcher.DeadAttemptsField])
			}
			if err := e.rdb.Ping(context.Background()).Err(); err != nil {
				t.Errorf("shared client unusable after the scheduler: %v", err)
			}
		})
	}
}
