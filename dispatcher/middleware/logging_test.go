package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/middleware"
)

func TestLogging(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad")
	tests := []struct {
		name    string
		err     error
		level   zapcore.Level
		message string
	}{
		{"success at debug", nil, zapcore.DebugLevel, "route handled"},
		{"retryable failure at warn", errBad, zapcore.WarnLevel, "route failed"},
		{"permanent failure at error", dispatcher.Permanent(errBad), zapcore.ErrorLevel, "route failed permanently"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			core, logs := observer.New(zapcore.DebugLevel)
			d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{middleware.Logging(zap.New(core))}})
			d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { return tt.err },
				dispatcher.Named("charge"), dispatcher.InGroup("billing"))
			msg := dispatcher.NewMessage("orders", "7-0", map[string]string{"type": "order.paid"})
			msg.Attempt = 2
			if o := d.Process(t.Context(), msg); len(o.Failures) > 0 && !errors.Is(o.Failures[0].Err, errBad) {
				t.Fatalf("Logging changed the error: %v", o.Failures[0].Err)
			}
			entries := logs.AllUntimed()
			if len(entries) != 1 {
				t.Fatalf("%d entries, want 1", len(entries))
			}
			e := entries[0]
			if e.Level != tt.level || e.Message != tt.message {
				t.Fatalf("entry %v %q, want %v %q", e.Level, e.Message, tt.level, tt.message)
			}
			f := e.ContextMap()
			want := map[string]any{"stream": "orders", "id": "7-0", "type": "order.paid", "route": "charge", "route_group": "billing", "attempt": int64(2)}
			for k, v := range want {
				if f[k] != v {
					t.Errorf("field %s = %#v, want %#v", k, f[k], v)
				}
			}
			if _, ok := f["duration"].(time.Duration); !ok {
				t.Errorf("duration field = %#v", f["duration"])
			}
			if gotErr, hasErr := f["error"]; hasErr != (tt.err != nil) || (hasErr && gotErr != tt.err.Error()) {
				t.Errorf("error field = %#v, want %v", gotErr, tt.err)
			}
		})
	}
}

// TestLoggingSeesPanics: a panic is logged at error level with its value and
// stack, and still reaches the Dispatcher, which recovers it.
func TestLoggingSeesPanics(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{middleware.Logging(zap.New(core))}})
	d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { panic("nil map") }, dispatcher.Named("charge"))
	o := d.Process(t.Context(), dispatcher.NewMessage("orders", "7-0", map[string]string{"type": "order.paid"}))
	if len(o.Failures) != 1 || !errors.Is(o.Failures[0].Err, dispatcher.ErrPanic) {
		t.Fatalf("outcome %+v, want the route failing with ErrPanic", o)
	}
	entries := logs.AllUntimed()
	if len(entries) != 1 || entries[0].Level != zapcore.ErrorLevel || entries[0].Message != "route panicked" {
		t.Fatalf("entries %v, want one error \"route panicked\"", entries)
	}
	f := entries[0].ContextMap()
	if f["panic"] != "nil map" || f["route"] != "charge" || !strings.Contains(fmt.Sprint(f["stack"]), "logging_test.go") {
		t.Errorf("fields %v, want the panic value, the route and the stack", f)
	}
}

func TestLoggingLevelAndNilLogger(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.InfoLevel)
	ok := dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })
	route := dispatcher.Route{Name: "r", Type: "t", Handler: ok}
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "t"})
	for _, l := range []*zap.Logger{zap.New(core), nil} {
		if err := middleware.Logging(l)(route)(ok).Handle(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if logs.Len() != 0 {
		t.Fatalf("a success was logged above Debug: %v", logs.AllUntimed())
	}
}
