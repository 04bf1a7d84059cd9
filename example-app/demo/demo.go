// Package demo is the example app's scripted demo (-demo): it publishes a
// fixed set of events, waits for every expected outcome, then stops the app
// while a slow handler is in flight to show the graceful stop draining it.
//
// Expected outcomes, all visible in the log:
//   - three booking requests, each handled by booking.store,
//     notifications.booking_requested and payments.charge (one handler type
//     per module, the Notifier fanned out to two routes);
//   - bk-1 pays at once and is confirmed (booking.confirm,
//     notifications.booking_confirmed);
//   - bk-2's card fails twice: payments.charge alone is retried through
//     asynq and pays on its third run, while the other routes of the message
//     ran once;
//   - bk-3's card is declined: a Permanent error sends the message to
//     "bookings:dead", which the demo reads back;
//   - a quote over request/reply;
//   - the Prometheus metrics, when the app has them, count the same route
//     runs, retries and dead letters as the demo;
//   - a newsletter that is still being sent when the demo stops the app, and
//     is finished before the app exits.
package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/example-app/internal/activity"
	"github.com/streamfx/streamfx/streamfx"
)

// Timeout bounds the whole demo, from the first publish to the stop.
type Timeout time.Duration

// Params are the dependencies of New.
type Params struct {
	fx.In

	Lifecycle  fx.Lifecycle
	Shutdowner fx.Shutdowner
	Timeout    Timeout
	Redis      redis.UniversalClient
	Publisher  *redisstream.Publisher
	Recorder   *activity.Recorder
	Config     streamfx.Config
	Logger     *zap.Logger
	// Processors is required so that the demo starts after them.
	Processors *streamfx.Processors
	// Metrics, when provided, must count what the demo saw.
	Metrics prometheus.Gatherer `optional:"true"`
}

// Demo runs the script once, in the background, from the app's start.
type Demo struct {
	p   Params
	log *zap.Logger

	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	result Result
}

// New builds the Demo and appends its lifecycle hook: OnStart runs the
// script in the background; the script stops the app through fx.Shutdowner
// when it is done (exit code 0) or an outcome is missing (exit code 1).
// OnStop interrupts a script still running.
func New(p Params) *Demo {
	d := &Demo{p: p, log: p.Logger.Named("demo"), done: make(chan struct{})}
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(p.Timeout))
			d.cancel = cancel
			go d.run(ctx)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			d.cancel()
			select {
			case <-d.done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
	return d
}

// Module runs the demo with the app. It needs a Timeout.
var Module = fx.Module("demo", fx.Provide(New), fx.Invoke(func(*Demo) {}))

func (d *Demo) run(ctx context.Context) {
	defer close(d.done)
	err := d.script(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (demo timeout %s)", err, time.Duration(d.p.Timeout))
	}
	d.mu.Lock()
	d.result.Err = err
	d.mu.Unlock()
	code := 0
	if err != nil {
		code = 1
		d.log.Error("demo failed; stopping the app", zap.Error(err))
	}
	if serr := d.p.Shutdowner.Shutdown(fx.ExitCode(code)); serr != nil {
		d.log.Error("cannot stop the app", zap.Error(serr))
	}
}

// Result is the demo's outcome, complete once the app has stopped.
type Result struct {
	Published    int
	Handled      int
	Retried      int
	DeadLettered int
	// Err names the first expected outcome that did not happen.
	Err error
}

// String returns the one-line summary.
func (r Result) String() string {
	return fmt.Sprintf("demo: published=%d handled=%d retried=%d dead_lettered=%d",
		r.Published, r.Handled, r.Retried, r.DeadLettered)
}

// Result returns the outcome. Call it after the app has stopped: it checks
// that the handler in flight at the stop was drained, and counts the route
// runs from the Recorder.
func (d *Demo) Result() Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.result
	snap := d.p.Recorder.Snapshot()
	r.Handled, r.Retried = snap.Handled(""), snap.Retried("")
	if r.Err == nil && snap.Handled(newsletterRoute) != 1 {
		r.Err = errors.New("demo: outcome missing: the newsletter in flight at the stop was not finished (not drained)")
	}
	return r
}

func (d *Demo) addPublished(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.result.Published += n
}

func (d *Demo) deadLettered() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.result.DeadLettered
}

func (d *Demo) setDeadLettered(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.result.DeadLettered = n
}
