package middleware

import (
	"context"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/dispatcher"
)

// Logging returns a dispatcher.RouteMiddleware, for dispatcher.Config.Middleware,
// that logs every run of a route with the fields stream, id, type, route,
// group, attempt, duration, and error when it failed: at Debug level when the
// route succeeded, at Error level when it failed. The route's fields are
// built once, when the route is mounted; a disabled level costs no
// allocation. A nil logger logs nothing. The error is returned unchanged.
func Logging(logger *zap.Logger) dispatcher.RouteMiddleware {
	if logger == nil {
		logger = zap.NewNop()
	}
	return func(r dispatcher.Route) dispatcher.Middleware {
		log := logger.With(zap.String("route", r.Name), zap.String("group", r.Group))
		return func(next dispatcher.Handler) dispatcher.Handler {
			return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
				start := time.Now()
				err := next.Handle(ctx, msg)
				level, text := zapcore.DebugLevel, "route handled"
				if err != nil {
					level, text = zapcore.ErrorLevel, "route failed"
				}
				if ce := log.Check(level, text); ce != nil {
					ce.Write(zap.String("stream", msg.Stream), zap.String("id", msg.ID),
						zap.String("type", msg.Type), zap.Int("attempt", msg.Attempt),
						zap.Duration("duration", time.Since(start)), zap.Error(err))
				}
				return err
			})
		}
	}
}
