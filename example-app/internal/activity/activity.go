// Package activity records every route run of the example app: it logs the
// run, counts it for the demo's summary, and tracks the handlers in flight so
// that a graceful stop can say what it waited for.
//
// It is installed as route middleware with streamfx.AsMiddleware, outside
// the feature modules: the booking, notifications and payments packages do
// not know about it.
package activity

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// Run is one run of one route for one message.
type Run struct {
	// Route is the route name.
	Route string
	// MessageID is the stream entry ID.
	MessageID string
	// Attempt is the run number: 1 for the first delivery, 2 and more for
	// asynq retries (or redeliveries).
	Attempt int
	// Err is what the handler returned.
	Err error
}

// Recorder counts route runs. It is safe for concurrent use.
type Recorder struct {
	log *zap.Logger

	mu       sync.Mutex
	runs     []Run
	inFlight map[string]int // route -> handlers running now
	changed  chan struct{}  // closed and replaced on every change
}

// New returns an empty Recorder logging to log.
func New(log *zap.Logger) *Recorder {
	return &Recorder{log: log, inFlight: map[string]int{}, changed: make(chan struct{})}
}

// RouteMiddleware returns the route middleware that records the runs of
// every mounted route under its name; give it to streamfx.AsMiddleware.
func (r *Recorder) RouteMiddleware() dispatcher.RouteMiddleware {
	return func(route dispatcher.Route) dispatcher.Middleware { return r.Middleware(route.Name) }
}

// Middleware returns the middleware that records the runs of route.
func (r *Recorder) Middleware(route string) dispatcher.Middleware {
	return func(next dispatcher.Handler) dispatcher.Handler {
		return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
			r.begin(route)
			start := time.Now()
			err := next.Handle(ctx, msg)
			r.end(Run{Route: route, MessageID: msg.ID, Attempt: msg.Attempt, Err: err}, time.Since(start))
			return err
		})
	}
}

func (r *Recorder) begin(route string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight[route]++
	r.notifyLocked()
}

func (r *Recorder) end(run Run, took time.Duration) {
	fields := []zap.Field{zap.String("route", run.Route), zap.String("id", run.MessageID),
		zap.Int("attempt", run.Attempt), zap.Duration("took", took)}
	switch {
	case run.Err == nil:
		r.log.Info("route handled", fields...)
	case dispatcher.IsPermanent(run.Err):
		r.log.Warn("route failed permanently: dead-lettering", append(fields, zap.Error(run.Err))...)
	default:
		r.log.Warn("route failed: will retry", append(fields, zap.Error(run.Err))...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight[run.Route]--
	r.runs = append(r.runs, run)
	r.notifyLocked()
}

func (r *Recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Snapshot returns a copy of what was recorded so far.
func (r *Recorder) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Snapshot{Runs: append([]Run(nil), r.runs...), InFlight: map[string]int{}}
	for route, n := range r.inFlight {
		if n > 0 {
			s.InFlight[route] = n
		}
	}
	return s
}

// Wait blocks until cond holds for a snapshot, or ctx ends (then it returns
// ctx.Err()).
func (r *Recorder) Wait(ctx context.Context, cond func(Snapshot) bool) error {
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if cond(r.Snapshot()) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
