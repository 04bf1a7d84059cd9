package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
)

// Process runs every route that matches msg, in registration order, and tells
// the caller what to do with the message. A failing or panicking route does
// not stop the others.
//
//   - every matching route succeeded (or none passed its filter): Ack;
//   - no type, or no route for the type: Ack with Outcome.Unroutable set, or
//     DeadLetter if Config.DeadLetterUnroutable;
//   - some routes failed, with a RetryScheduler: each retryable failure is
//     scheduled, then Ack, or DeadLetter for the permanent failures; if a
//     schedule fails, Retry (the message stays pending and nothing is lost);
//   - some routes failed, without a scheduler: Retry if any failure is
//     retryable, else DeadLetter.
func (d *Dispatcher) Process(ctx context.Context, msg *Message) Outcome {
	if msg.Type == "" {
		return d.unroutable(ErrNoType)
	}
	routes := d.table.Load().byType[msg.Type]
	if len(routes) == 0 {
		return d.unroutable(ErrNoRoute)
	}
	o := runRoutes(ctx, routes, msg)
	if len(o.Failures) == 0 {
		return o
	}
	return d.settle(ctx, msg, o)
}

// ProcessExcept is Process for a message delivered again: the idempotent
// routes named in completed, which completed for it before, are skipped
// and counted in Outcome.Skipped. An engine finds them from the markers it
// recorded for Outcome.Completed (see Idempotent).
func (d *Dispatcher) ProcessExcept(ctx context.Context, msg *Message, completed []string) Outcome {
	routes, skipped, err := d.routesExcept(msg, completed)
	if err != nil {
		return d.unroutable(err)
	}
	o := runRoutes(ctx, routes, msg)
	o.Skipped = skipped
	if len(o.Failures) == 0 {
		return o
	}
	return d.settle(ctx, msg, o)
}

// routesExcept returns the routes of msg's type, less the idempotent ones
// named in completed, which it counts in skipped; the error is ErrNoType
// or ErrNoRoute for a msg no route handles.
func (d *Dispatcher) routesExcept(msg *Message, completed []string) (routes []*Route, skipped int, err error) {
	if msg.Type == "" {
		return nil, 0, ErrNoType
	}
	all := d.table.Load().byType[msg.Type]
	if len(all) == 0 {
		return nil, 0, ErrNoRoute
	}
	if len(completed) == 0 {
		return all, 0, nil
	}
	routes = make([]*Route, 0, len(all))
	for _, r := range all {
		if r.Idempotent && slices.Contains(completed, r.Name) {
			skipped++
			continue
		}
		routes = append(routes, r)
	}
	return routes, skipped, nil
}

// IdempotentRoutes returns the names of the idempotent routes mounted for
// eventType, in registration order, or nil.
func (d *Dispatcher) IdempotentRoutes(eventType string) []string {
	var names []string
	for _, r := range d.table.Load().byType[eventType] {
		if r.Idempotent {
			names = append(names, r.Name)
		}
	}
	return names
}

// HasIdempotentRoutes reports whether a mounted route is idempotent.
func (d *Dispatcher) HasIdempotentRoutes() bool {
	for _, r := range d.table.Load().order {
		if r.Idempotent {
			return true
		}
	}
	return false
}

// ProcessInPlace runs routes like Process but never hands a failure to the
// RetryScheduler, for a caller that retries msg itself, in place: an ordered
// Processor, which must not let a later message of the same key run before
// the retry. With no names, it runs every route that matches msg, as Process
// does (an unroutable msg gives the same Outcome); with names, the failed
// routes of a previous run, it runs only the routes so named, whatever msg's
// type, and a name no mounted route has is a permanent failure wrapping
// ErrRouteNotFound. The Action is Ack when every route run succeeded, Retry
// when a failure is retryable (Failures lists every failure), else
// DeadLetter.
func (d *Dispatcher) ProcessInPlace(ctx context.Context, msg *Message, names ...string) Outcome {
	if len(names) == 0 {
		return d.ProcessInPlaceExcept(ctx, msg, nil)
	}
	byName := d.table.Load().byName
	routes := make([]*Route, 0, len(names))
	var missing []RouteFailure
	for _, name := range names {
		if r, ok := byName[name]; ok {
			routes = append(routes, r)
		} else {
			missing = append(missing, RouteFailure{Route: name,
				Err: Permanent(fmt.Errorf("%w: %q", ErrRouteNotFound, name))})
		}
	}
	o := runRoutes(ctx, routes, msg)
	o.Failures = append(o.Failures, missing...)
	return settleInPlace(o)
}

// ProcessInPlaceExcept is ProcessInPlace without names for a message
// delivered again: the idempotent routes named in completed are skipped
// and counted in Outcome.Skipped, as ProcessExcept skips them.
func (d *Dispatcher) ProcessInPlaceExcept(ctx context.Context, msg *Message, completed []string) Outcome {
	routes, skipped, err := d.routesExcept(msg, completed)
	if err != nil {
		return d.unroutable(err)
	}
	o := runRoutes(ctx, routes, msg)
	o.Skipped = skipped
	return settleInPlace(o)
}

// runRoutes runs routes in order and collects their failures.
func runRoutes(ctx context.Context, routes []*Route, msg *Message) Outcome {
	var o Outcome
	for _, r := range routes {
		ran, err := runRoute(ctx, r, msg)
		o.record(r, ran, err)
	}
	return o
}

// settleInPlace sets the Action of o without a RetryScheduler.
func settleInPlace(o Outcome) Outcome {
	for _, f := range o.Failures {
		if !IsPermanent(f.Err) {
			o.Action = Retry
			return o
		}
	}
	if len(o.Failures) > 0 {
		o.Action = DeadLetter
	}
	return o
}

func (d *Dispatcher) unroutable(reason error) Outcome {
	o := Outcome{Unroutable: reason}
	if d.cfg.DeadLetterUnroutable {
		o.Action = DeadLetter
		o.Failures = []RouteFailure{{Err: reason}}
	}
	return o
}

// settle decides the action for a message with failed routes.
func (d *Dispatcher) settle(ctx context.Context, msg *Message, o Outcome) Outcome {
	var permanent, retryable []RouteFailure
	for _, f := range o.Failures {
		if IsPermanent(f.Err) {
			permanent = append(permanent, f)
		} else {
			retryable = append(retryable, f)
		}
	}
	if len(retryable) > 0 && d.cfg.Retry == nil {
		o.Action = Retry
		return o
	}
	for _, f := range retryable {
		err := d.schedule(ctx, RetryRequest{Message: msg, Route: f.Route, Attempt: msg.Attempt, Err: f.Err})
		if err != nil {
			o.Action, o.ScheduleErr = Retry, fmt.Errorf("schedule retry of route %s: %w", f.Route, err)
			return o
		}
		o.Scheduled++
		o.Retried = append(o.Retried, f)
	}
	o.Failures = permanent
	if len(permanent) > 0 {
		o.Action = DeadLetter
	}
	return o
}

// NewPanicError returns the error the Dispatcher records for a recovered
// panic: it wraps ErrPanic, and value too if value is an error; PanicStack
// returns stack. Middleware that recovers panics itself (such as
// middleware.Recover) uses it so that its errors look the same.
func NewPanicError(value any, stack []byte) error {
	return &panicError{value: value, stack: stack}
}

// schedule hands r to the RetryScheduler. A panic in the scheduler becomes
// a scheduling error, so the message stays pending instead of the process
// dying.
func (d *Dispatcher) schedule(ctx context.Context, r RetryRequest) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return d.cfg.Retry.ScheduleRetry(ctx, r)
}

// runRoute runs one route, filter included, turning a panic in the filter or
// the handler into an error. ran is false when the filter skipped the route.
func runRoute(ctx context.Context, r *Route, msg *Message) (ran bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = NewPanicError(v, debug.Stack())
		}
	}()
	if r.Filter != nil && !r.Filter(msg) {
		return false, nil
	}
	return true, r.Handler.Handle(ctx, msg)
}

// panicError is the error of a route that panicked.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("%v: %v", ErrPanic, e.value) }

// Unwrap returns ErrPanic and, if the panic value is an error, that error.
func (e *panicError) Unwrap() []error {
	if err, ok := e.value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}

// PanicStack returns the stack trace captured when a handler panicked, or nil
// if err does not come from a recovered panic.
func PanicStack(err error) []byte {
	var p *panicError
	if errors.As(err, &p) {
		return p.stack
	}
	return nil
}
