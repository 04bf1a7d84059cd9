package asynqretry_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/goleak"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestShutdownHonoursContext is not parallel: it checks that nothing of the
// server outlives it.
func TestShutdownHonoursContext(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaks) }) // runs after every other cleanup
	started := make(chan struct{}, 1)
	cfg := fastConfig()
	cfg.ShutdownTimeout = time.Minute // only the context may cut the wait short
	e := newEnv(t, cfg, func(d *dispatcher.Dispatcher, runs *recorder) {
		d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
			runs.add("slow", msg.Attempt)
			if msg.Attempt == 1 {
				return errors.New("first run fails")
			}
			started <- struct{}{}
			<-ctx.Done() // a well-behaved handler: it returns when ctx ends
			return ctx.Err()
		}, dispatcher.Named("slow"))
	})
	id, _ := deliver(t, e.rdb, e.d, "orders", map[string]any{"type": "order.paid"})
	<-started

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := e.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
	}
	select {
	case <-e.srv.Done():
	case <-time.After(waitTimeout):
		t.Fatal("asynq server still running after its handlers were cancelled")
	}
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v, want nil", err)
	}

	// The interrupted run is not lost and was not scheduled twice: the same
	// task waits for a later retry, and no next-attempt task exists.
	if got := e.runs.get("slow"); !reflect.DeepEqual(got, []int{1, 2}) {
		t.Errorf("slow saw attempts %v, want [1 2]", got)
	}
	retry, err := e.insp.ListRetryTasks(e.cfg.Queue)
	if err != nil {
		t.Fatal(err)
	}
	if len(retry) != 1 || retry[0].ID != asynqretry.TaskID("orders", id, "slow", 0) || e.queued(t) != 1 {
		t.Errorf("retry tasks %v (of %d queued), want only the interrupted one", retry, e.queued(t))
	}
	if err := e.rdb.Ping(context.Background()).Err(); err != nil {
		t.Errorf("shared client closed by Shutdown: %v", err)
	}
}

func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t)
	rdb := r.Client(t)
	sched, err := asynqretry.NewScheduler(rdb, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	ctx := context.Background()

	t.Run("invalid arguments", func(t *testing.T) {
		for _, args := range []struct {
			d *dispatcher.Dispatcher
			s *asynqretry.Scheduler
		}{{nil, sched}, {d, nil}} {
			if _, err := asynqretry.NewServer(rdb, args.d, args.s); !errors.Is(err, asynqretry.ErrInvalidConfig) {
				t.Errorf("NewServer = %v, want ErrInvalidConfig", err)
			}
		}
		if _, err := asynqretry.NewScheduler(nil, asynqretry.Config{}); !errors.Is(err, asynqretry.ErrInvalidConfig) {
			t.Errorf("NewScheduler(nil) = %v, want ErrInvalidConfig", err)
		}
		if _, err := asynqretry.NewScheduler(rdb, asynqretry.Config{MaxAttempts: -1}); !errors.Is(err, asynqretry.ErrInvalidConfig) {
			t.Errorf("NewScheduler(MaxAttempts -1) = %v, want ErrInvalidConfig", err)
		}
	})
	t.Run("shutdown before start, then start", func(t *testing.T) {
		srv, err := asynqretry.NewServer(rdb, d, sched)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown before Start = %v", err)
		}
		if err := srv.Start(ctx); !errors.Is(err, asynqretry.ErrClosed) {
			t.Errorf("Start after Shutdown = %v, want ErrClosed", err)
		}
	})
	t.Run("start twice", func(t *testing.T) {
		srv, err := asynqretry.NewServer(rdb, d, sched)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err == nil {
			t.Error("second Start = nil, want an error")
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Errorf("shared client closed by Shutdown: %v", err)
		}
	})
	t.Run("start with Redis unreachable", func(t *testing.T) {
		srv, err := asynqretry.NewServer(unreachable(t), d, sched)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err == nil {
			t.Error("Start = nil, want an error")
		}
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown after a failed Start = %v", err)
		}
	})
	t.Run("register on a caller's mux", func(t *testing.T) {
		srv, err := asynqretry.NewServer(rdb, d, sched)
		if err != nil {
			t.Fatal(err)
		}
		mux := asynq.NewServeMux()
		srv.Register(mux)
		h, pattern := mux.Handler(asynq.NewTask(asynqretry.TaskType, nil))
		if pattern != asynqretry.TaskType || h != asynq.Handler(srv) {
			t.Errorf("mux routes %s to %v (pattern %q), want the Server", asynqretry.TaskType, h, pattern)
		}
	})
}
