package middleware

import (
	"context"
	"runtime/debug"

	"github.com/streamfx/streamfx/dispatcher"
)

// Recover is a dispatcher.Middleware that turns a panic in next into an
// error wrapping dispatcher.ErrPanic (and the panic value, if it is an
// error), with the stack available through dispatcher.PanicStack. The
// Dispatcher already does this around every route; Recover is for handlers
// composed and run outside a Dispatcher, and for letting outer middleware,
// such as Logging, see a panic as an error.
func Recover(next dispatcher.Handler) dispatcher.Handler {
	return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = dispatcher.NewPanicError(v, debug.Stack())
			}
		}()
		return next.Handle(ctx, msg)
	})
}
