package dispatcher

import (
	"context"
	"time"
)

// RetryScheduler schedules one failed route of one message to run again later
// (the seed's RetrySchedulerProtocol.schedule_retry, made per route).
//
// ScheduleRetry returns nil only once the retry is durably scheduled: the
// Dispatcher acknowledges the message after every failed route was scheduled,
// and leaves it pending when ScheduleRetry returns an error. Scheduling the
// same (stream, message ID, route, attempt) twice must not create two
// retries. The scheduler must not keep r.Message after it returns.
type RetryScheduler interface {
	ScheduleRetry(ctx context.Context, r RetryRequest) error
}

// RetryRequest describes one failed route run.
type RetryRequest struct {
	// Message is the message whose route failed.
	Message *Message
	// Route is the name of the route that failed.
	Route string
	// Attempt is how many times the route has run for this message, the
	// failed run included.
	Attempt int
	// Err is the route's error.
	Err error
	// Delay, when positive, asks for this delay instead of the scheduler's
	// own backoff.
	Delay time.Duration
}
