package redisstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/dispatchertest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestFailuresLoggedOnce: the Processor logs every failure itself, once: a
// retry handed to the RetryScheduler at warn level with the route, stream,
// entry ID, attempt and error, and a dead letter at error level with its
// reason and, for a panic, the stack.
func TestFailuresLoggedOnce(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	tests := []struct {
		name      string
		scheduler bool
		handler   func(context.Context, *dispatcher.Message) error
		snippet   string
		level     zapcore.Level
		stack     bool
	}{
		{name: "retry scheduled", scheduler: true, snippet: "retry scheduled", level: zapcore.WarnLevel,
			handler: func(context.Context, *dispatcher.Message) error { return errors.New("boom") }},
		{name: "panic dead-lettered", snippet: "dead-lettered", level: zapcore.ErrorLevel, stack: true,
			handler: func(context.Context, *dispatcher.Message) error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "faillog:" + tt.name
			var sched *dispatchertest.Scheduler
			cfg := dispatcher.Config{}
			if tt.scheduler {
				sched = &dispatchertest.Scheduler{}
				cfg.Retry = sched
			}
			d := dispatcher.New(cfg)
			d.OnFunc("t", tt.handler, dispatcher.Named("r1"))
			pcfg := fastConfig(t, stream)
			pcfg.MaxDeliveries = 1 // the first failure without a scheduler dead-letters
			logs := observe(&pcfg, t)
			ids := publish(t, rdb, stream, "t", 1)
			p := streamtest.StartProcessor(t, rdb, d, pcfg)
			eventually(t, "the failure is logged and the entry settled", func() bool {
				return logs.FilterMessageSnippet(tt.snippet).Len() > 0 && pending(t, rdb, stream, "g") == 0
			})
			streamtest.Stop(t, p)

			var failures []string
			for _, e := range logs.All() {
				if e.Level >= zapcore.WarnLevel && strings.Contains(e.Message, "fail") || strings.Contains(e.Message, "dead-lettered") {
					failures = append(failures, e.Message)
				}
			}
			lines := logs.FilterMessageSnippet(tt.snippet).All()
			if len(lines) != 1 || len(failures) != 1 {
				t.Fatalf("failure lines %q, want one %q line", failures, tt.snippet)
			}
			e := lines[0]
			f := e.ContextMap()
			if e.Level != tt.level || f["route"] != "r1" || f["stream"] != stream || f["id"] != ids[0] ||
				f["attempt"] != int64(1) || !strings.Contains(f["error"].(string), "boom") {
				t.Errorf("logged %s %v, want level %s, route r1, stream, id %s, attempt 1, error boom", e.Level, f, tt.level, ids[0])
			}
			if stack, _ := f["stack"].(string); tt.stack != strings.Contains(stack, "goroutine") {
				t.Errorf("stack %q, want one: %v", stack, tt.stack)
			}
		})
	}
}
