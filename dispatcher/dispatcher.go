package dispatcher

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
)

// Config configures a Dispatcher. The zero value is valid.
type Config struct {
	// Retry schedules failed routes. If nil, a failed message is left pending
	// and redelivered by the Processor (every route runs again).
	Retry RetryScheduler
	// EnabledGroups, if not empty, mounts only the routes whose logical group
	// is listed (the seed's enabled_groups). Routes registered without InGroup
	// belong to DefaultGroup. If empty, every route is mounted.
	EnabledGroups []string
	// DeadLetterUnroutable sends a message without a type, or with a type no
	// route handles, to the dead-letter stream. If false, such a message is
	// acknowledged and reported through Outcome.Unroutable (seed behaviour).
	DeadLetterUnroutable bool
	// Middleware wraps every route as it is mounted, outside the route's and
	// its router's own middleware; the first listed is outermost. Each one
	// sees the Route, so it can label logs, metrics and spans with the route
	// name at no per-message cost.
	Middleware []RouteMiddleware
}

// RouteMiddleware builds the middleware of one route when the route is
// mounted.
type RouteMiddleware func(Route) Middleware

// Dispatcher runs every matching route of a message in registration order.
// It is itself a Handler. Routes may be added at any time; dispatch is safe
// for concurrent use and does not allocate on the success path.
type Dispatcher struct {
	cfg     Config
	enabled map[string]bool
	mu      sync.Mutex // serialises registration
	table   atomic.Pointer[routeTable]
}

// routeTable is an immutable snapshot of the mounted routes.
type routeTable struct {
	byType map[string][]*Route
	byName map[string]*Route
	order  []*Route
}

// New returns a Dispatcher with no routes.
func New(cfg Config) *Dispatcher {
	d := &Dispatcher{cfg: cfg}
	if len(cfg.EnabledGroups) > 0 {
		d.enabled = make(map[string]bool, len(cfg.EnabledGroups))
		for _, g := range cfg.EnabledGroups {
			d.enabled[g] = true
		}
	}
	d.table.Store(&routeTable{byType: map[string][]*Route{}, byName: map[string]*Route{}})
	return d
}

// On registers h for eventType. It panics on an empty type, a nil handler or a
// duplicate route name. A route whose group is not enabled is ignored.
func (d *Dispatcher) On(eventType string, h Handler, opts ...RouteOption) {
	if err := d.Add(newRoute(eventType, h, opts)); err != nil {
		panic(err.Error())
	}
}

// OnFunc registers a function as the handler for eventType, as On does.
func (d *Dispatcher) OnFunc(eventType string, fn func(ctx context.Context, msg *Message) error, opts ...RouteOption) {
	if fn == nil {
		panic("dispatcher: nil handler func for event type " + strconv.Quote(eventType))
	}
	d.On(eventType, HandlerFunc(fn), opts...)
}

// Include mounts the routes of each router, in order (the seed's
// include_router). It panics on a duplicate route name.
func (d *Dispatcher) Include(routers ...*Router) {
	for _, r := range routers {
		if r == nil {
			panic("dispatcher: nil Router passed to Include")
		}
		if err := d.Add(r.Routes()...); err != nil {
			panic(err.Error())
		}
	}
}

// Add mounts routes and returns an error, instead of panicking, for an
// invalid route or a duplicate name; then nothing is mounted. Routes whose
// group is not enabled are skipped. Unnamed routes are named "<type>#<n>".
func (d *Dispatcher) Add(routes ...Route) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.table.Load()
	next := &routeTable{
		byType: make(map[string][]*Route, len(old.byType)+len(routes)),
		byName: make(map[string]*Route, len(old.byName)+len(routes)),
		order:  append(make([]*Route, 0, len(old.order)+len(routes)), old.order...),
	}
	for k, v := range old.byType {
		next.byType[k] = v
	}
	for k, v := range old.byName {
		next.byName[k] = v
	}
	for i := range routes {
		r := routes[i]
		if r.Type == "" || r.Handler == nil {
			return fmt.Errorf("dispatcher: route %q needs an event type and a handler", r.Name)
		}
		if r.Group == "" {
			r.Group = DefaultGroup
		}
		if d.enabled != nil && !d.enabled[r.Group] {
			continue
		}
		if r.Name == "" {
			r.Name = r.Type + "#" + strconv.Itoa(len(next.byType[r.Type])+1)
		}
		if _, dup := next.byName[r.Name]; dup {
			return fmt.Errorf("dispatcher: duplicate route name %q", r.Name)
		}
		for j := len(d.cfg.Middleware) - 1; j >= 0; j-- {
			if mw := d.cfg.Middleware[j](r); mw != nil {
				r.Handler = mw(r.Handler)
			}
		}
		next.byName[r.Name] = &r
		// Copy so that snapshots already handed out are never mutated.
		next.byType[r.Type] = append(append([]*Route(nil), next.byType[r.Type]...), &r)
		next.order = append(next.order, &r)
	}
	d.table.Store(next)
	return nil
}

// Routes returns the mounted routes in registration order.
func (d *Dispatcher) Routes() []Route {
	t := d.table.Load()
	out := make([]Route, len(t.order))
	for i, r := range t.order {
		out[i] = *r
	}
	return out
}

// Handle runs every matching route and returns their joined errors, so that a
// Dispatcher can be used as a Handler (inside another router or a test). It
// does not schedule retries.
func (d *Dispatcher) Handle(ctx context.Context, msg *Message) error {
	var errs []error
	for _, r := range d.table.Load().byType[msg.Type] {
		if err := runRoute(ctx, r, msg); err != nil {
			errs = append(errs, fmt.Errorf("route %s: %w", r.Name, err))
		}
	}
	return joinErrors(errs)
}

// RunRoute runs the route named name for msg, ignoring its type match but not
// its filter (a filtered-out route returns nil). It returns ErrRouteNotFound
// if no mounted route has that name. The retry path uses it.
func (d *Dispatcher) RunRoute(ctx context.Context, name string, msg *Message) error {
	r, ok := d.table.Load().byName[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrRouteNotFound, name)
	}
	return runRoute(ctx, r, msg)
}
