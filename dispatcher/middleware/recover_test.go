package middleware_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/middleware"
)

func TestRecover(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		handler dispatcher.HandlerFunc
		wantIs  []error
		text    string
	}{
		{"nil passes through", func(context.Context, *dispatcher.Message) error { return nil }, nil, ""},
		{"error passes through", func(context.Context, *dispatcher.Message) error { return errBoom }, []error{errBoom}, "boom"},
		{"panic with a string", func(context.Context, *dispatcher.Message) error { panic("kaboom") }, []error{dispatcher.ErrPanic}, "kaboom"},
		{"panic with an error", func(context.Context, *dispatcher.Message) error { panic(errBoom) }, []error{dispatcher.ErrPanic, errBoom}, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := middleware.Recover(tt.handler).Handle(t.Context(), dispatcher.NewMessage("s", "1-0", nil))
			if (err == nil) != (tt.wantIs == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Fatalf("err = %v does not wrap %v", err, target)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.text)
			}
			panicked := strings.HasPrefix(tt.name, "panic")
			if stack := dispatcher.PanicStack(err); (len(stack) > 0) != panicked {
				t.Fatalf("PanicStack = %q, want a stack only after a panic", stack)
			}
		})
	}
}
