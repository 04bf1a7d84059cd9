package dispatcher

import "strconv"

// Route binds an event type to a Handler. Routes are built by Router.On and
// Dispatcher.On; the fields are exported for inspection.
type Route struct {
	// Type is the event type the route handles.
	Type string
	// Name identifies the route across restarts: the retry path runs a route
	// again by name. When it is not set with Named, the Dispatcher names the
	// route "<type>#<n>", n counting the routes of that type in the order they
	// were registered with it, those skipped by EnabledGroups included (so
	// that workers mounting different groups agree on names). Set it with
	// Named when retries are used, so that a retry scheduled by one build
	// still finds its route in the next.
	Name string
	// Group is the route's logical group (the seed's group=). A route
	// without one (empty) is mounted by every Dispatcher, whatever its
	// EnabledGroups, as in the seed; a route that a partial worker must
	// leave out needs a group.
	Group string
	// Filter, when not nil, must return true for the route to run.
	Filter func(*Message) bool
	// Handler handles the message, with the route's middleware applied.
	Handler Handler
}

// RouteOption configures one route at registration.
type RouteOption interface {
	apply(*Route)
}

type routeOptionFunc func(*Route)

func (f routeOptionFunc) apply(r *Route) { f(r) }

// WithFilter runs the route only for messages for which filter returns true.
// The filter runs on the dispatching goroutine and must be fast.
func WithFilter(filter func(*Message) bool) RouteOption {
	return routeOptionFunc(func(r *Route) { r.Filter = filter })
}

// InGroup puts the route in a logical group. A Dispatcher configured with
// EnabledGroups mounts only the routes of those groups, and the routes
// without a group.
func InGroup(group string) RouteOption {
	return routeOptionFunc(func(r *Route) { r.Group = group })
}

// Named sets the route's stable name. Names must be unique within a
// Dispatcher.
func Named(name string) RouteOption {
	return routeOptionFunc(func(r *Route) { r.Name = name })
}

// WithMiddleware wraps this route's handler; the first listed is outermost.
func WithMiddleware(mw ...Middleware) RouteOption {
	return routeOptionFunc(func(r *Route) { r.Handler = Chain(r.Handler, mw...) })
}

// newRoute validates a registration and applies its options.
func newRoute(eventType string, h Handler, opts []RouteOption) Route {
	const pkg = "dispatcher"
	if eventType == "" {
		panic(pkg + ": route registered with an empty event type")
	}
	if h == nil {
		panic(pkg + ": nil handler for event type " + strconv.Quote(eventType))
	}
	r := Route{Type: eventType, Handler: h}
	for _, o := range opts {
		if o == nil {
			panic(pkg + ": nil RouteOption for event type " + strconv.Quote(eventType))
		}
		o.apply(&r)
	}
	return r
}
