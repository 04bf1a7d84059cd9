package dispatcher

import (
	"strconv"
	"time"
)

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
	// Handler handles the message, with the route's middleware applied. A
	// batch route runs it when one of its messages is handled alone (a
	// retry, Dispatcher.Handle): leave it nil in a batch Route literal and
	// the Dispatcher sets it to run Batch with a batch of one.
	Handler Handler
	// Batch, when not nil, makes this a batch route: the engine gathers
	// messages of Type read from one stream and calls Batch once for them
	// (see BatchHandler), with Config.BatchMiddleware applied.
	Batch BatchHandler
	// MaxBatch is the most messages one call of Batch gets. If zero, 100.
	// Only for a batch route.
	MaxBatch int
	// MaxWait is how long the first message of a batch may wait for more
	// before the batch runs anyway. If zero, 50ms. Only for a batch route.
	MaxWait time.Duration
	// Idempotent, set by the Idempotent option, has the engine record that
	// the route completed for a message, and skip it when the message is
	// delivered again. See Idempotent.
	Idempotent bool
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

// Idempotent makes the route run at most once per message and consumer
// group, as far as the engine can tell: once the route succeeded for a
// message, the engine records a completion marker (for the consumer group,
// stream, entry ID and route name), and a later delivery of the message (a
// redelivery, a reclaim after a crash, an asynq retry of the route) skips
// the route (Outcome.Skipped counts it). Markers expire (see the engine's
// configuration), and one is recorded after the handler returned: a crash
// between the handler's side effect and the marker's write, or a marker
// write that failed, still runs the route again. A handler whose side
// effect must happen once makes it idempotent itself, keyed by
// Message.IdempotencyKey. A batch route's messages are not skipped.
func Idempotent() RouteOption {
	return routeOptionFunc(func(r *Route) { r.Idempotent = true })
}

// WithMiddleware wraps this route's handler; the first listed is outermost.
func WithMiddleware(mw ...Middleware) RouteOption {
	return routeOptionFunc(func(r *Route) { r.Handler = Chain(r.Handler, mw...) })
}

// newRoute validates a registration and applies its options.
func newRoute(eventType string, h Handler, opts []RouteOption) Route {
	return newRouteOf(Route{Type: eventType, Handler: h}, opts)
}

// newBatchRoute validates the registration of a batch route and applies
// its options.
func newBatchRoute(eventType string, h BatchHandler, opts []RouteOption) Route {
	if h == nil {
		panic("dispatcher: nil batch handler for event type " + strconv.Quote(eventType))
	}
	return newRouteOf(Route{Type: eventType, Handler: batchOfOne{h}, Batch: h}, opts)
}

// newRouteOf validates r, a route with its Type and Handler set, and
// applies opts.
func newRouteOf(r Route, opts []RouteOption) Route {
	const pkg = "dispatcher"
	eventType := r.Type
	if eventType == "" {
		panic(pkg + ": route registered with an empty event type")
	}
	if r.Handler == nil {
		panic(pkg + ": nil handler for event type " + strconv.Quote(eventType))
	}
	for _, o := range opts {
		if o == nil {
			panic(pkg + ": nil RouteOption for event type " + strconv.Quote(eventType))
		}
		o.apply(&r)
	}
	if err := checkBatch(r); err != nil {
		panic(err.Error())
	}
	return r
}
