package middleware_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/middleware"
)

func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		d            time.Duration
		parent       time.Duration // 0: no parent deadline
		wantDeadline bool
		maxLeft      time.Duration
	}{
		{"sets a deadline", time.Minute, 0, true, time.Minute},
		{"keeps an earlier parent deadline", time.Hour, time.Minute, true, time.Minute},
		{"shortens a later parent deadline", time.Minute, time.Hour, true, time.Minute},
		{"zero disables", 0, 0, false, 0},
		{"negative disables", -time.Second, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if tt.parent > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.parent)
				defer cancel()
			}
			var inner context.Context
			h := middleware.Timeout(tt.d)(dispatcher.HandlerFunc(func(ctx context.Context, _ *dispatcher.Message) error {
				inner = ctx
				return ctx.Err()
			}))
			if err := h.Handle(ctx, dispatcher.NewMessage("s", "1-0", nil)); err != nil {
				t.Fatalf("Handle = %v", err)
			}
			after := time.Now()
			deadline, ok := inner.Deadline()
			if ok != tt.wantDeadline || (ok && deadline.Sub(after) > tt.maxLeft) {
				t.Fatalf("deadline %v (set %v), want set %v and at most %v away", deadline, ok, tt.wantDeadline, tt.maxLeft)
			}
			if tt.wantDeadline && inner.Err() == nil {
				t.Fatal("the handler's context was not cancelled after it returned")
			}
		})
	}
}

func TestTimeoutExpires(t *testing.T) {
	t.Parallel()
	h := middleware.Timeout(time.Millisecond)(dispatcher.HandlerFunc(func(ctx context.Context, _ *dispatcher.Message) error {
		<-ctx.Done()
		return ctx.Err()
	}))
	if err := h.Handle(t.Context(), dispatcher.NewMessage("s", "1-0", nil)); err != context.DeadlineExceeded {
		t.Fatalf("Handle = %v, want context.DeadlineExceeded", err)
	}
}
