package asynqretry

import (
	"cmp"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/backoff"
	"github.com/streamfx/streamfx/internal/marker"
)

const (
	defaultQueue                    = "streamfx"
	defaultMaxAttempts              = 5
	defaultConcurrency              = 10
	defaultDelayedTaskCheckInterval = 100 * time.Millisecond
	defaultTaskCheckInterval        = 200 * time.Millisecond
	defaultShutdownTimeout          = 10 * time.Second
	defaultMaxTaskRetry             = 20
	defaultDedupWindow              = time.Hour
	defaultBackoffBase              = time.Second
	defaultBackoffMax               = 5 * time.Minute
	defaultBackoffJitter            = 0.2
)

// Config configures a Scheduler and the Server built from it. The zero value
// is valid: every zero field means the documented default.
type Config struct {
	// Queue is the asynq queue the retry tasks go to. Default "streamfx".
	Queue string
	// MaxAttempts is the number of runs of a route, the first run included,
	// before the message is dead-lettered for that route. Default 5. 1 means
	// no retry: the first failure is dead-lettered.
	MaxAttempts int
	// Backoff returns the delay before run attempt+1 of a route whose run
	// number attempt failed (attempt >= 1). It also spaces asynq's own
	// retries of a task whose bookkeeping failed (see the package doc).
	// Default DefaultBackoff: 1s * 2^(attempt-1), +-20% jitter, capped at 5m.
	//
	// asynq stores a task's due time in whole seconds (the Unix time,
	// truncated), so a retry becomes due up to one second before Backoff has
	// elapsed, then waits for the next DelayedTaskCheckInterval: a Backoff
	// under a second is not honoured (300ms gave gaps of about 200ms and
	// 300ms, 100ms a few ms). NewScheduler logs a warning when Backoff(1) is
	// under a second.
	Backoff func(attempt int) time.Duration
	// Concurrency is the number of asynq server workers. Default 10.
	Concurrency int
	// DelayedTaskCheckInterval is how often the asynq server moves due
	// retries to the pending state. Default 100ms (asynq's own default is
	// 5s, which would stretch short backoffs).
	DelayedTaskCheckInterval time.Duration
	// TaskCheckInterval is how long an idle asynq server waits between two
	// polls of an empty queue (it sleeps between half and one and a half of
	// it). Default 200ms (asynq's own default is 1s).
	TaskCheckInterval time.Duration
	// ShutdownTimeout is how long the asynq server lets running tasks finish
	// on Shutdown before it pushes them back to the queue. Default 10s.
	// Server.Shutdown also honours its context.
	ShutdownTimeout time.Duration
	// MaxTaskRetry bounds asynq's own retries of one task, used only when the
	// worker could not record the outcome of a run (Redis unreachable while
	// scheduling the next attempt or writing the dead letter). After that
	// many, asynq archives the task. Default 20 (about an hour with the
	// default Backoff). A route error never consumes these retries.
	MaxTaskRetry int
	// DedupWindow is how long the first retry of a route, scheduled from
	// the stream by ScheduleRetry, keeps its task ID reserved after it
	// completed (asynq's Retention). A message redelivered from the stream
	// within the window (after a retry of another route could not be
	// scheduled, or after a crash before the ack) does not start a second
	// retry chain for a route already scheduled. Default 1h.
	DedupWindow time.Duration
	// MarkerTTL is how long the completion marker of an idempotent route
	// (see dispatcher.Idempotent) is kept; it must equal the Processor's
	// MarkerTTL (redisstream.ProcessorConfig), whose markers the worker
	// reads: a retry of a route that completed is skipped, and a retry
	// that succeeds records its marker. The TTL is part of the markers'
	// key names: with another value, the worker and the Processor do not
	// see each other's markers at all. streamfx.WithAsynqRetry sets it to
	// the processors' when zero, and fails fx.New when it differs. It
	// should also exceed the longest Backoff: a retry waiting longer would
	// find the marker of a route that completed meanwhile (the message
	// redelivered from the stream, the route run and succeeded) expired,
	// and run the route again; NewScheduler logs a warning then. Default
	// 15 minutes.
	MarkerTTL time.Duration
	// DeadLetterStream names the dead-letter stream of a source stream.
	// Default dispatcher.DeadLetterStream ("<stream>:dead").
	DeadLetterStream func(stream string) string
	// Logger receives the asynq server's logs and the worker's. Default
	// zap.NewNop().
	Logger *zap.Logger
	// Observer, if not nil, is told each retry stored (Retried: the first,
	// by ScheduleRetry, and each later one, by the worker) and each dead
	// letter written (DeadLettered); see dispatcher.Observer. A
	// *metrics.Metrics of package dispatcher/metrics fits. Default: none.
	Observer dispatcher.Observer
}

// withDefaults returns c with every zero field set to its default, or an
// error wrapping ErrInvalidConfig that names the first negative field.
func (c Config) withDefaults() (Config, error) {
	for _, f := range []struct {
		name  string
		value int64
	}{
		{"MaxAttempts", int64(c.MaxAttempts)},
		{"Concurrency", int64(c.Concurrency)},
		{"MaxTaskRetry", int64(c.MaxTaskRetry)},
		{"DedupWindow", int64(c.DedupWindow)},
		{"DelayedTaskCheckInterval", int64(c.DelayedTaskCheckInterval)},
		{"TaskCheckInterval", int64(c.TaskCheckInterval)},
		{"ShutdownTimeout", int64(c.ShutdownTimeout)},
		{"MarkerTTL", int64(c.MarkerTTL)},
	} {
		if f.value < 0 {
			return c, fmt.Errorf("%w: %s is negative; zero means its default", ErrInvalidConfig, f.name)
		}
	}
	c.Queue = cmp.Or(c.Queue, defaultQueue)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, defaultMaxAttempts)
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	c.Concurrency = cmp.Or(c.Concurrency, defaultConcurrency)
	c.DelayedTaskCheckInterval = cmp.Or(c.DelayedTaskCheckInterval, defaultDelayedTaskCheckInterval)
	c.TaskCheckInterval = cmp.Or(c.TaskCheckInterval, defaultTaskCheckInterval)
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, defaultShutdownTimeout)
	c.MaxTaskRetry = cmp.Or(c.MaxTaskRetry, defaultMaxTaskRetry)
	c.DedupWindow = cmp.Or(c.DedupWindow, defaultDedupWindow)
	c.MarkerTTL = cmp.Or(c.MarkerTTL, marker.DefaultTTL)
	if c.DeadLetterStream == nil {
		c.DeadLetterStream = dispatcher.DeadLetterStream
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}

// DefaultBackoff is the default Config.Backoff: 1s * 2^(attempt-1) with +-20%
// jitter, capped at 5 minutes (1s, 2s, 4s, 8s, ...).
func DefaultBackoff(attempt int) time.Duration {
	return ExponentialBackoff(defaultBackoffBase, defaultBackoffMax, defaultBackoffJitter)(attempt)
}

// ExponentialBackoff returns a Backoff function: base * 2^(attempt-1), spread
// by +-jitter (a fraction, 0.2 for +-20%), capped at max after the jitter.
// An attempt below 1 counts as 1. With jitter 0 the delays are exact, which
// tests can rely on.
func ExponentialBackoff(base, max time.Duration, jitter float64) func(attempt int) time.Duration {
	return backoff.Exponential{Base: base, Max: max, Jitter: jitter}.Delay
}
