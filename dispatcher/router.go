package dispatcher

import (
	"context"
	"strconv"
)

// Router collects routes, typically in a feature package, to be included in a
// Dispatcher (the seed's StreamRouter and include_router). The zero value is
// ready to use. A Router is not safe for concurrent registration.
type Router struct {
	routes     []Route
	middleware []Middleware
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{} }

// Use adds middleware applied to every route of this router when it is
// included, outside any route-level middleware. The first listed is outermost.
func (r *Router) Use(mw ...Middleware) {
	for _, m := range mw {
		if m == nil {
			panic("dispatcher: nil Middleware passed to Router.Use")
		}
	}
	r.middleware = append(r.middleware, mw...)
}

// On registers h for eventType. It panics on an empty type, a nil handler or
// a route name already used in this router.
func (r *Router) On(eventType string, h Handler, opts ...RouteOption) {
	r.add(newRoute(eventType, h, opts))
}

// OnBatch registers h as a batch route for eventType (see BatchHandler and
// Dispatcher.OnBatch). It panics on an empty type, a nil handler or a route
// name already used in this router.
func (r *Router) OnBatch(eventType string, h BatchHandler, opts ...RouteOption) {
	r.add(newBatchRoute(eventType, h, opts))
}

// add appends route, panicking on a name already used in this router.
func (r *Router) add(route Route) {
	for _, x := range r.routes {
		if route.Name != "" && x.Name == route.Name {
			panic("dispatcher: duplicate route name " + strconv.Quote(route.Name))
		}
	}
	r.routes = append(r.routes, route)
}

// OnFunc registers a function as the handler for eventType.
func (r *Router) OnFunc(eventType string, fn func(ctx context.Context, msg *Message) error, opts ...RouteOption) {
	if fn == nil {
		panic("dispatcher: nil handler func for event type " + strconv.Quote(eventType))
	}
	r.On(eventType, HandlerFunc(fn), opts...)
}

// Routes returns the router's routes in registration order, with the router's
// middleware applied.
func (r *Router) Routes() []Route {
	out := make([]Route, len(r.routes))
	for i, x := range r.routes {
		x.Handler = Chain(x.Handler, r.middleware...)
		out[i] = x
	}
	return out
}
