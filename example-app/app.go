package main

import (
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/example-app/booking"
	"github.com/streamfx/streamfx/example-app/demo"
	"github.com/streamfx/streamfx/example-app/events"
	"github.com/streamfx/streamfx/example-app/httpapi"
	"github.com/streamfx/streamfx/example-app/internal/activity"
	"github.com/streamfx/streamfx/example-app/notifications"
	"github.com/streamfx/streamfx/example-app/payments"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/fxmetrics"
)

// appOptions assembles the app: what streamfx needs (Redis client, logger,
// Config), streamfx with asynq retries and metrics, the feature modules, and
// the HTTP server (with /metrics and /healthz) and the demo when enabled. d
// receives the demo, if any.
func appOptions(o options, cfg streamfx.Config, url redisURL, log *zap.Logger, d *demoResult) fx.Option {
	reg := prometheus.NewRegistry() // the app's registry, served at /metrics
	opts := []fx.Option{
		fx.Supply(log, url, cfg),
		fx.WithLogger(func(log *zap.Logger) fxevent.Logger {
			l := &fxevent.ZapLogger{Logger: log.Named("fx")}
			// fx's events at debug: run logs the errors that matter, once.
			l.UseLogLevel(zapcore.DebugLevel)
			l.UseErrorLevel(zapcore.DebugLevel)
			return l
		}),
		fx.Provide(
			newRedis,
			newRecorder,
			streamfx.AsMiddleware(func(rec *activity.Recorder) []dispatcher.RouteMiddleware {
				return []dispatcher.RouteMiddleware{rec.RouteMiddleware()}
			}),
		),
		streamfx.Module,
		streamfx.WithRedisLogger(), // go-redis's lines through the app's logger, rate limited
		streamfx.WithAsynqRetry(retryConfig(cfg)),
		fxmetrics.Module(reg),
		fx.Provide(func() prometheus.Gatherer { return reg }),
		booking.Module,
		notifications.Module,
		payments.Module,
		fx.Invoke(logDrain),
	}
	if o.httpAddr != "" {
		opts = append(opts, fx.Supply(httpapi.Addr(o.httpAddr)), httpapi.Module)
	}
	if o.demo {
		opts = append(opts, fx.Supply(demo.Timeout(o.demoTimeout)), demo.Module, fx.Populate(&d.demo))
	} else {
		opts = append(opts, fx.Invoke(logHints))
	}
	return fx.Options(opts...)
}

// exampleEnv are the example's defaults for the STREAMFX_* variables, as
// "KEY=value" entries; the environment's own entries come after them, and
// win.
func exampleEnv() []string {
	return []string{
		"STREAMFX_STREAMS=" + events.Stream,
		"STREAMFX_CONSUMER_GROUP=example-app",
		// A shorter XREADGROUP block makes stopping quicker.
		"STREAMFX_BLOCK=500ms",
	}
}

// loadConfig reads the streamfx Config from the STREAMFX_* entries of
// environ (os.Environ()), with the example's defaults for those not set.
func loadConfig(environ []string) (streamfx.Config, error) {
	return streamfx.LoadConfig("STREAMFX", append(exampleEnv(), environ...))
}

// retryConfig retries a failed route up to 3 more times, 100ms then 200ms
// then 400ms later (+-20%), with asynq polling often enough that retries run
// well under a second after they are due, even on miniredis.
//
// The asynq queue is named after the consumer group: the asynq server of a
// worker runs the retries it takes with its own routes, so split workers
// (STREAMFX_ROUTE_GROUPS) that shared one queue would take each other's
// retries, find no such route and dead-letter them.
func retryConfig(cfg streamfx.Config) asynqretry.Config {
	group := streamfx.DefaultConsumerGroup
	if len(cfg.Processors) > 0 && cfg.Processors[0].Group != "" {
		group = cfg.Processors[0].Group
	}
	return asynqretry.Config{
		Queue:                    "retry-" + group,
		MaxAttempts:              4,
		Backoff:                  asynqretry.ExponentialBackoff(100*time.Millisecond, 2*time.Second, 0.2),
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		TaskCheckInterval:        50 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
	}
}

// newRecorder returns the Recorder of route runs. Built before the stream
// processors (the routes need it), its stop hook runs after theirs: it
// reports what the graceful stop drained.
func newRecorder(lc fx.Lifecycle, log *zap.Logger) *activity.Recorder {
	rec := activity.New(log.Named("routes"))
	lc.Append(fx.StopHook(func() {
		s := rec.Snapshot()
		if busy := s.Busy(); busy > 0 {
			log.Warn("stopped with handlers still running (their messages stay pending and are redelivered)",
				zap.Int("in_flight", busy), zap.Any("routes", s.InFlight))
			return
		}
		log.Info("drained: every handler finished before the processors stopped", zap.Int("route_runs", len(s.Runs)))
	}))
	return rec
}

// logDrain logs, as the app starts stopping, the handlers in flight that the
// graceful stop waits for. It depends on the processors, so its stop hook
// runs before theirs.
func logDrain(lc fx.Lifecycle, _ *streamfx.Processors, rec *activity.Recorder, log *zap.Logger) {
	lc.Append(fx.StopHook(func() {
		s := rec.Snapshot()
		log.Info("stopping the stream processors: no new reads, waiting for the handlers in flight",
			zap.Int("in_flight", s.Busy()), zap.Any("routes", s.InFlight))
	}))
}

// logHints tells a user who just ran the app what to try.
func logHints(lc fx.Lifecycle, log *zap.Logger) {
	lc.Append(fx.StartHook(func() {
		log.Info("running until Ctrl-C (SIGINT) or SIGTERM; with the default -http :8080, try: " +
			"curl -s localhost:8080/healthz; curl -s localhost:8080/metrics; curl -s localhost:8080/publish -d " +
			`'{"stream":"bookings","type":"booking.requested","payload":{"booking_id":"bk-9","email":"ada@example.com","amount_eur":250,"card":"tok_flaky"}}'`)
	}))
}

// demoResult holds the demo of a -demo run.
type demoResult struct {
	demo *demo.Demo
}

// report prints the demo's summary line to stdout and returns the exit code.
func (d *demoResult) report(log *zap.Logger, stdout io.Writer, code int) int {
	if d.demo == nil {
		log.Error("demo: did not run")
		return max(code, 1)
	}
	res := d.demo.Result()
	if res.Err != nil {
		log.Error("demo failed", zap.Error(res.Err))
		fmt.Fprintln(stdout, res.String()+" FAILED: "+res.Err.Error())
		return max(code, 1)
	}
	fmt.Fprintln(stdout, res.String())
	return code
}
