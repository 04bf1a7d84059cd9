package dispatcher

import (
	"context"
	"errors"
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
	// is listed and the routes without a group (the seed's enabled_groups: a
	// route registered without InGroup is mounted in every worker). If
	// empty, every route is mounted.
	EnabledGroups []string
	// DeadLetterUnroutable sends a message without a type, or with a type no
	// route handles, to the dead-letter stream. If false, such a message is
	// acknowledged and reported through Outcome.Unroutable (seed behaviour).
	DeadLetterUnroutable bool
	// Middleware wraps every route as it is mounted, outside the route's and
	// its router's own middleware; the first listed is outermost. Each one
	// is called once per route with the Route (Handler not yet wrapped by
	// it), so it can label logs, metrics and spans with the route name at no
	// per-message cost; it may return nil to leave a route alone.
	Middleware []RouteMiddleware
	// BatchMiddleware wraps the BatchHandler of every batch route as it is
	// mounted; the first listed is outermost. A batch runs inside these
	// only: Middleware, Router.Use and WithMiddleware wrap a batch route's
	// Handler, which runs when one of its messages is handled alone (a
	// retry).
	BatchMiddleware []BatchMiddleware
	// Idempotent makes every route idempotent, as if registered with the
	// Idempotent option.
	Idempotent bool
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
	// seen counts the routes registered per type, mounted or not, to name
	// unnamed routes the same way whatever groups are enabled.
	seen map[string]int
	// batch holds the limits of the types that have a batch route.
	batch map[string]BatchLimits
}

// New returns a Dispatcher with no routes.
func New(cfg Config) *Dispatcher {
	cfg.Middleware = append([]RouteMiddleware(nil), cfg.Middleware...)
	cfg.BatchMiddleware = append([]BatchMiddleware(nil), cfg.BatchMiddleware...)
	d := &Dispatcher{cfg: cfg}
	if len(cfg.EnabledGroups) > 0 {
		d.enabled = make(map[string]bool, len(cfg.EnabledGroups))
		for _, g := range cfg.EnabledGroups {
			d.enabled[g] = true
		}
	}
	d.table.Store(&routeTable{})
	return d
}

// On registers h for eventType. It panics on an empty type, a nil handler or a
// duplicate route name. A route whose group is not enabled is ignored (a
// route without a group is always mounted).
func (d *Dispatcher) On(eventType string, h Handler, opts ...RouteOption) {
	if err := d.Add(newRoute(eventType, h, opts)); err != nil {
		panic(err.Error())
	}
}

// OnBatch registers h as a batch route for eventType (see BatchHandler),
// with WithMaxBatch and WithMaxWait among its options. It panics on an
// empty type, a nil handler or a duplicate route name.
func (d *Dispatcher) OnBatch(eventType string, h BatchHandler, opts ...RouteOption) {
	if err := d.Add(newBatchRoute(eventType, h, opts)); err != nil {
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
// invalid route (empty type, nil handler), a duplicate name, or a
// Config.Middleware that returns a nil Handler; then nothing is mounted.
// Routes whose group is not enabled are skipped (a route without a group
// is always mounted). Unnamed routes are named
// "<type>#<n>" (see Route.Name).
func (d *Dispatcher) Add(routes ...Route) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := d.table.Load().clone(len(routes))
	for _, r := range routes {
		if err := normalise(&r); err != nil {
			return err
		}
		next.seen[r.Type]++
		if d.enabled != nil && r.Group != "" && !d.enabled[r.Group] {
			continue
		}
		if r.Name == "" {
			r.Name = r.Type + "#" + strconv.Itoa(next.seen[r.Type])
		}
		if _, dup := next.byName[r.Name]; dup {
			return fmt.Errorf("dispatcher: duplicate route name %q", r.Name)
		}
		if err := d.wrap(&r); err != nil {
			return err
		}
		r.Idempotent = r.Idempotent || d.cfg.Idempotent
		next.add(&r)
	}
	d.table.Store(next)
	return nil
}

// wrap applies Config.Middleware to r: each RouteMiddleware is called in the
// order listed, and the first listed ends up outermost.
func (d *Dispatcher) wrap(r *Route) error {
	mws := make([]Middleware, len(d.cfg.Middleware))
	for i, rm := range d.cfg.Middleware {
		mws[i] = rm(*r)
	}
	for i := len(mws) - 1; i >= 0; i-- {
		if mws[i] == nil {
			continue
		}
		if r.Handler = mws[i](r.Handler); r.Handler == nil {
			return fmt.Errorf("dispatcher: Config.Middleware[%d] returned a nil Handler for route %q", i, r.Name)
		}
	}
	if r.Batch == nil {
		return nil
	}
	for i := len(d.cfg.BatchMiddleware) - 1; i >= 0; i-- {
		if r.Batch = d.cfg.BatchMiddleware[i](*r, r.Batch); r.Batch == nil {
			return fmt.Errorf("dispatcher: Config.BatchMiddleware[%d] returned a nil BatchHandler for route %q", i, r.Name)
		}
	}
	return nil
}

// clone returns a copy of t that can be extended without changing t, which
// concurrent dispatches may be reading.
func (t *routeTable) clone(extra int) *routeTable {
	next := &routeTable{
		byType: make(map[string][]*Route, len(t.byType)+extra),
		byName: make(map[string]*Route, len(t.byName)+extra),
		seen:   make(map[string]int, len(t.seen)+extra),
		batch:  make(map[string]BatchLimits, len(t.batch)),
		order:  append(make([]*Route, 0, len(t.order)+extra), t.order...),
	}
	for k, v := range t.byType {
		next.byType[k] = v
	}
	for k, v := range t.byName {
		next.byName[k] = v
	}
	for k, v := range t.seen {
		next.seen[k] = v
	}
	for k, v := range t.batch {
		next.batch[k] = v
	}
	return next
}

// add mounts r. The byType slice is copied, never appended in place, so
// that snapshots already handed out are never mutated.
func (t *routeTable) add(r *Route) {
	t.byName[r.Name] = r
	t.byType[r.Type] = append(append([]*Route(nil), t.byType[r.Type]...), r)
	t.order = append(t.order, r)
	if r.Batch != nil {
		t.batch[r.Type] = t.batch[r.Type].with(r)
	}
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
		if _, err := runRoute(ctx, r, msg); err != nil {
			errs = append(errs, fmt.Errorf("route %s: %w", r.Name, err))
		}
	}
	return errors.Join(errs...)
}

// RunRoute runs the route named name for msg, ignoring its type match but not
// its filter (a filtered-out route returns nil). It returns ErrRouteNotFound
// if no mounted route has that name. The retry path uses it.
func (d *Dispatcher) RunRoute(ctx context.Context, name string, msg *Message) error {
	r, ok := d.table.Load().byName[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrRouteNotFound, name)
	}
	_, err := runRoute(ctx, r, msg)
	return err
}
