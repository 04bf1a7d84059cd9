package dispatcher

// Action tells the Processor what to do with a message after dispatch.
type Action int

const (
	// Ack acknowledges the message: every route succeeded, was filtered out,
	// or was handed to the RetryScheduler.
	Ack Action = iota
	// Retry leaves the message pending so that it is redelivered. The
	// Processor turns it into DeadLetter once the delivery count reaches its
	// MaxDeliveries.
	Retry
	// DeadLetter writes one dead-letter entry per Failure, then acknowledges.
	DeadLetter
)

// String returns "ack", "retry" or "dead-letter".
func (a Action) String() string {
	switch a {
	case Ack:
		return "ack"
	case Retry:
		return "retry"
	case DeadLetter:
		return "dead-letter"
	}
	return "unknown"
}

// RouteFailure is the error of one route for one message. Route is empty when
// the message could not be routed at all (no type, no route, too large).
type RouteFailure struct {
	// Route is the name of the failed route.
	Route string
	// Err is the route's error, or ErrNoType / ErrNoRoute for a message
	// that could not be routed.
	Err error
}

// Outcome is the result of dispatching one message.
type Outcome struct {
	// Action is what the Processor must do with the message.
	Action Action
	// Failures lists the routes that failed. With Action DeadLetter, it lists
	// exactly the entries to dead-letter; with Retry, every failed route.
	Failures []RouteFailure
	// Handled counts the routes that ran and returned nil (a route skipped by
	// its filter is not counted).
	Handled int
	// Scheduled counts the failed routes handed to the RetryScheduler.
	Scheduled int
	// Retried lists the failed routes handed to the RetryScheduler, with
	// their errors (Scheduled of them), so that the Processor can log each.
	Retried []RouteFailure
	// Unroutable is ErrNoType or ErrNoRoute when no route matched the type.
	Unroutable error
	// ScheduleErr is the RetryScheduler's error when Action is Retry because a
	// retry could not be scheduled.
	ScheduleErr error
	// Completed names the idempotent routes that ran and succeeded in this
	// dispatch: the engine records them (see Idempotent).
	Completed []string
	// Skipped counts the idempotent routes not run because they had
	// completed for this message before (see ProcessExcept).
	Skipped int
}
