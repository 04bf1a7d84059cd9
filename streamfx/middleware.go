package streamfx

import "github.com/streamfx/streamfx/dispatcher"

// The named value through which the app gives the dispatcher its
// dispatcher.Config.Middleware (logging, metrics, tracing). It is one
// ordered slice, not a value group, because middleware order matters.
const (
	// MiddlewareName names the []dispatcher.RouteMiddleware value.
	MiddlewareName = "streamfx.middleware"
	// MiddlewareTag is the fx tag that provides it.
	MiddlewareTag = `name:"` + MiddlewareName + `"`
)

// AsMiddleware annotates constructor, a function returning
// []dispatcher.RouteMiddleware or ([]dispatcher.RouteMiddleware, error), so
// that its result wraps every mounted route (the first listed is
// outermost); use it inside fx.Provide, at most once per app:
//
//	fx.Provide(streamfx.AsMiddleware(func(log *zap.Logger) []dispatcher.RouteMiddleware {
//		return []dispatcher.RouteMiddleware{middleware.Logging(log)}
//	}))
func AsMiddleware(constructor any) any {
	return annotate[[]dispatcher.RouteMiddleware](constructor, MiddlewareTag)
}
