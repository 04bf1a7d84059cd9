package middleware

import (
	"context"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// Timeout returns a dispatcher.Middleware that gives each call of the next
// handler a context that expires after d, on top of any deadline the caller's
// context already has. The handler must honour ctx: Timeout does not abandon
// a handler that ignores it. The handler's error is returned unchanged; a
// handler that gives up on the deadline usually returns an error wrapping
// context.DeadlineExceeded, which is retried like any other error.
// If d <= 0, Timeout returns next unchanged.
func Timeout(d time.Duration) dispatcher.Middleware {
	return func(next dispatcher.Handler) dispatcher.Handler {
		if d <= 0 {
			return next
		}
		return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			return next.Handle(ctx, msg)
		})
	}
}
