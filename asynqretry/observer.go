package asynqretry

import "github.com/streamfx/streamfx/dispatcher"

// Observer is told about the retries and dead letters the worker side
// decides; set it in Config.Observer. It is the subset of the method set of
// metrics.Observer (package dispatcher/metrics) that this package calls, so
// a *metrics.Metrics fits without this package importing metrics. Methods
// are called from asynq's worker goroutines, concurrently: they must be
// safe for concurrent use and fast.
//
// The first retry of a failed route is scheduled by the Dispatcher through
// ScheduleRetry, which does not call the Observer: count it by wrapping the
// Scheduler (metrics.InstrumentRetry does).
type Observer interface {
	// Retried is called after a failed retry run of route was scheduled to
	// run again (the next task is stored).
	Retried(msg *dispatcher.Message, route string)
	// DeadLettered is called after the failure of route was written to the
	// dead-letter stream: by the worker once the runs are exhausted, the
	// error is permanent or the route no longer exists, and by ScheduleRetry
	// for a request whose run number already reached Config.MaxAttempts.
	DeadLettered(msg *dispatcher.Message, route string)
}
