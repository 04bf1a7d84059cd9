package middleware

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
)

// Logging returns a dispatcher.RouteMiddleware, for dispatcher.Config.Middleware,
// that logs every run of a route with the fields stream, id, type, route,
// route_group, attempt, duration, and error when it failed, at a level that
// matches what happens next:
//
//   - Debug, "route handled": the route returned nil;
//   - Warn, "route failed": a retryable error; the route runs again (a retry
//     or a redelivery), unless its attempts are used up, in which case the
//     engine logs the dead letter at Error level;
//   - Error, "route failed permanently": dispatcher.Permanent or a decode
//     error; the route is dead-lettered;
//   - Error, "route panicked", with the panic value and the stack: the panic
//     goes on to the Dispatcher, which recovers it as the route's error.
//
// The route's fields are built once, when the route is mounted; a disabled
// level costs no allocation. A nil logger logs nothing. The error is returned
// unchanged.
func Logging(logger *zap.Logger) dispatcher.RouteMiddleware {
	if logger == nil {
		logger = zap.NewNop()
	}
	return func(r dispatcher.Route) dispatcher.Middleware {
		log := logger.With(zap.String("route", r.Name), zap.String("route_group", r.Group))
		return func(next dispatcher.Handler) dispatcher.Handler {
			return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) (err error) {
				start := time.Now()
				defer func() {
					if v := recover(); v != nil {
						if ce := log.Check(zapcore.ErrorLevel, "route panicked"); ce != nil {
							ce.Write(append(fields(msg, start), zap.String("panic", fmt.Sprint(v)),
								zap.ByteString("stack", debug.Stack()))...)
						}
						panic(v)
					}
				}()
				err = next.Handle(ctx, msg)
				level, text := zapcore.DebugLevel, "route handled"
				switch {
				case err == nil:
				case dispatcher.IsPermanent(err):
					level, text = zapcore.ErrorLevel, "route failed permanently"
				default:
					level, text = zapcore.WarnLevel, "route failed"
				}
				if ce := log.Check(level, text); ce != nil {
					ce.Write(append(fields(msg, start), zap.Error(err))...)
				}
				return err
			})
		}
	}
}

// fields are the message's fields of a log entry.
func fields(msg *dispatcher.Message, start time.Time) []zap.Field {
	return []zap.Field{zap.String("stream", msg.Stream), zap.String("id", msg.ID),
		zap.String("type", msg.Type), zap.Int("attempt", msg.Attempt),
		zap.Duration("duration", time.Since(start))}
}
