package streamfx_test

import (
	"context"

	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// TestStopTimeoutStillStopsAsynq: when a handler outlives fx's stop
// timeout, the asynq retry server is still shut down (fx runs no further
// stop hook once its context has ended) and the stop says, at error level,
// which processor was still running.
func TestStopTimeoutStillStopsAsynq(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	started, release := make(chan struct{}), make(chan struct{})
	markStarted := closeOnce(started)
	stuck := func() dispatcher.Route {
		return dispatcher.Route{Type: "job", Name: "jobs.stuck", Handler: dispatcher.HandlerFunc(
			func(context.Context, *dispatcher.Message) error {
				markStarted()
				<-release // ignores its context, as a badly written handler would
				return nil
			})}
	}
	var (
		mu     sync.Mutex
		errors []string
	)
	hook := func(e zapcore.Entry) error {
		if e.Level >= zapcore.ErrorLevel {
			mu.Lock()
			errors = append(errors, e.Message)
			mu.Unlock()
		}
		return nil
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("jobs", "")}}
	var (
		pub *redisstream.Publisher
		srv *asynqretry.Server
	)
	app := fxtest.New(t, baseOptions(t, rdb, cfg, hook), streamfx.Module, streamfx.WithAsynqRetry(fastRetry(3)),
		fx.Provide(streamfx.AsRoute(stuck)), fx.Populate(&pub, &srv))
	app.RequireStart()
	defer close(release)
	if _, err := pub.Publish(context.Background(), "jobs", "job", map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	receive(t, started, "the handler to start")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := app.Stop(ctx); err == nil {
		t.Fatal("Stop = nil, want the stop timeout")
	}
	select {
	case <-srv.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the asynq server was not shut down after the stop timeout")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slicesContainPrefix(errors, "streamfx: stop timed out with handlers still running") {
		t.Errorf("error logs %q, want one naming the processor still running", errors)
	}
}

func slicesContainPrefix(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
