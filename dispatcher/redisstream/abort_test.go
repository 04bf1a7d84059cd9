package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestAbortLogsRoutesInFlight stops a processor whose handler blocks until
// its context is cancelled, with a deadline that passes: at the deadline
// the handler's context must be cancelled, and the entry still running
// logged once with its stream, ID and route.
func TestAbortLogsRoutesInFlight(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "abortlog"
	ids := publish(t, rdb, stream, "block", 1)
	started := make(chan struct{})
	cancelled := make(chan error, 1)
	d := dispatcher.New(dispatcher.Config{})
	d.On("block", dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
		close(started)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ctx.Err()
	}), dispatcher.Named("blocker"))
	cfg := fastConfig(t, stream)
	logs := observe(&cfg, t)
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("handler's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the handler's context was not cancelled")
	}
	lines := logs.FilterMessageSnippet("still running at the stop deadline").All()
	if len(lines) != 1 {
		t.Fatalf("%d lines about handlers still running, want 1", len(lines))
	}
	f := lines[0].ContextMap()
	routes, _ := f["routes"].([]any)
	if f["stream"] != stream || f["id"] != ids[0] || !slices.Equal(routes, []any{"blocker"}) {
		t.Errorf("logged %v, want stream %s, id %s, routes [blocker]", f, stream, ids[0])
	}
	if n := pending(t, rdb, stream, "g"); n != 1 {
		t.Errorf("%d entries pending after the aborted stop, want 1", n)
	}
}
