package asynqretry_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
)

// TestInfrastructureFailureRetriesTheTask makes the dead-letter write fail
// (the dead-letter key holds a string: WRONGTYPE) so that the worker cannot
// record the last run. asynq must run the task again, under the same run
// number, until the write succeeds or asynq's own retry budget is spent.
func TestInfrastructureFailureRetriesTheTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		repair   bool
		wantRuns []int
	}{
		{name: "write succeeds once Redis recovers", repair: true},
		{name: "task archived after MaxTaskRetry", repair: false, wantRuns: []int{1, 2, 2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			core, logs := observer.New(zapcore.WarnLevel)
			cfg := fastConfig()
			cfg.MaxAttempts, cfg.MaxTaskRetry, cfg.Logger = 2, 2, zap.New(core)
			if tc.repair {
				cfg.MaxTaskRetry = 1000
			}
			e := newEnv(t, cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
				route(d, runs, "order.paid", "bad", func(int) error { return errors.New("boom") })
			})
			ctx := context.Background()
			if err := e.rdb.Set(ctx, dispatcher.DeadLetterStream("orders"), "not a stream", 0).Err(); err != nil {
				t.Fatal(err)
			}
			id, _ := deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid", "order_id": "42"})
			if !tc.repair {
				waitFor(t, "an archived task", func() bool { return len(archived(t, e)) == 1 })
				if got := e.runs.get("bad"); !reflect.DeepEqual(got, tc.wantRuns) {
					t.Errorf("bad saw attempts %v, want %v", got, tc.wantRuns)
				}
				if task := archived(t, e)[0]; task.ID != asynqretry.TaskID("orders", id, "bad", 0) {
					t.Errorf("archived task %s, want the retry of run 1", task.ID)
				}
				if logs.FilterLevelExact(zapcore.ErrorLevel).FilterMessageSnippet("archived").Len() == 0 {
					t.Error("no error log for the archived task")
				}
				return
			}
			waitFor(t, "two infrastructure retries", func() bool { return len(e.runs.get("bad")) >= 4 })
			if err := e.rdb.Del(ctx, dispatcher.DeadLetterStream("orders")).Err(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "a dead letter", func() bool { return len(e.deadLetters(t, "orders")) == 1 })
			waitFor(t, "an empty asynq queue", func() bool { return e.queued(t) == 0 })
			runs := e.runs.get("bad")
			for i, a := range runs {
				if want := min(i+1, 2); a != want {
					t.Errorf("run %d saw attempt %d, want %d (all: %v)", i+1, a, want, runs)
				}
			}
			checkDeadLetter(t, e.deadLetters(t, "orders"), id, "2", []string{"boom"})
			if logs.FilterMessageSnippet("will run it again").Len() == 0 {
				t.Error("no warning for the failed task")
			}
		})
	}
}

func archived(t *testing.T, e *env) []*asynq.TaskInfo {
	t.Helper()
	tasks, err := e.insp.ListArchivedTasks(e.cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

func TestMalformedTaskIsArchivedAtOnce(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.ErrorLevel)
	cfg := fastConfig()
	cfg.Logger = zap.New(core)
	e := newEnv(t, cfg, func(*dispatcher.Dispatcher, *recorder) {})

	for _, body := range []string{"{", `{"stream":"orders"}`, `{"stream":"s","id":"1-0","route":"r","attempt":0}`} {
		err := e.srv.ProcessTask(context.Background(), asynq.NewTask(asynqretry.TaskType, []byte(body)))
		if !errors.Is(err, asynqretry.ErrMalformedTask) || !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("ProcessTask(%s) = %v, want ErrMalformedTask and SkipRetry", body, err)
		}
	}

	client := asynq.NewClientFromRedisClient(e.rdb)
	if _, err := client.Enqueue(asynq.NewTask(asynqretry.TaskType, []byte("not json")), asynq.Queue(e.cfg.Queue), asynq.MaxRetry(5)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an archived task", func() bool { return len(archived(t, e)) == 1 })
	if task := archived(t, e)[0]; task.Retried != 0 {
		t.Errorf("malformed task retried %d times, want 0", task.Retried)
	}
	if logs.FilterMessageSnippet("archived").Len() != 1 {
		t.Errorf("logs = %v, want one error for the archived task", logs.All())
	}
}
