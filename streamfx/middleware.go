package streamfx

import (
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher"
)

// middlewareName names the value through which the app gives the
// dispatcher its dispatcher.Config.Middleware (logging, ...). It is one
// ordered slice, not a value group, because middleware order matters.
const middlewareName = "streamfx.middleware"

// AsMiddleware annotates constructor, a function returning
// []dispatcher.RouteMiddleware or ([]dispatcher.RouteMiddleware, error), so
// that its result wraps every mounted route (the first listed is
// outermost); use it inside fx.Provide, at most once per app:
//
//	fx.Provide(streamfx.AsMiddleware(func(log *zap.Logger) []dispatcher.RouteMiddleware {
//		return []dispatcher.RouteMiddleware{middleware.Logging(log)}
//	}))
func AsMiddleware(constructor any) any {
	return annotate[[]dispatcher.RouteMiddleware](constructor, fx.Annotated{Name: middlewareName})
}
