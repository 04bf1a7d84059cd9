package metrics

import (
	"context"
	"errors"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// Observer is what an engine reports to the metrics beyond what Middleware
// sees. *Metrics implements it. The Processor and the retry server accept
// any value with this method set; they declare it locally so that they do
// not import this package. All methods must be safe for concurrent use and
// fast: they run on the message path.
type Observer interface {
	// ObserveOutcome is called once per dispatched stream entry with the
	// outcome the engine acted on, after it acted (the Processor calls it
	// after turning Retry into DeadLetter at MaxDeliveries and after the
	// dead-letter entries were written).
	ObserveOutcome(msg *dispatcher.Message, o dispatcher.Outcome)
	// Retried is called when a failed route of msg is scheduled to run again
	// outside dispatcher.Process (by the retry server after a failed retry).
	Retried(msg *dispatcher.Message, route string)
	// DeadLettered is called when a failed route of msg is written to a
	// dead-letter stream outside ObserveOutcome (by the retry server once the
	// attempts are exhausted).
	DeadLettered(msg *dispatcher.Message, route string)
	// Reclaimed is called with the number of pending entries of stream that
	// a reclaim pass (XAUTOCLAIM) took over.
	Reclaimed(stream string, n int)
}

var _ Observer = (*Metrics)(nil)

// ObserveOutcome counts what Process decided for msg:
//
//   - Outcome.Unroutable set, or a dead letter of an entry larger than the
//     engine's MaxMessageBytes (rejected before routing): one unroutable
//     entry, with reason no_type, no_route, too_large or other (an entry
//     dead-lettered unrun because it was delivered too many times is a dead
//     letter only);
//   - Action Retry: one retry per failed route (the entry stays pending and
//     is redelivered);
//   - Action DeadLetter: one dead letter per failure (type "unknown" and an
//     empty route for a failure of no route: an entry that could not be
//     routed, or one dead-lettered unrun).
//
// Retries handed to a RetryScheduler (Outcome.Scheduled) are not counted
// here, because Outcome does not name their routes: wrap the scheduler with
// InstrumentRetry. Handled and failed runs are counted by Middleware.
func (m *Metrics) ObserveOutcome(msg *dispatcher.Message, o dispatcher.Outcome) {
	if o.Unroutable != nil {
		m.unroutable.WithLabelValues(msg.Stream, reason(o.Unroutable)).Inc()
	}
	switch o.Action {
	case dispatcher.Retry:
		for _, f := range o.Failures {
			m.Retried(msg, f.Route)
		}
	case dispatcher.DeadLetter:
		for _, f := range o.Failures {
			if f.Route == "" && o.Unroutable == nil && errors.Is(f.Err, redisstream.ErrMessageTooLarge) {
				m.unroutable.WithLabelValues(msg.Stream, reason(f.Err)).Inc()
			}
			m.DeadLettered(msg, f.Route)
		}
	}
}

// Retried counts one retry of route for msg.
func (m *Metrics) Retried(msg *dispatcher.Message, route string) {
	t, r := m.routeLabels(route)
	m.retried.WithLabelValues(msg.Stream, t, r).Inc()
}

// DeadLettered counts one dead letter of route for msg; route is empty for
// an entry that could not be routed.
func (m *Metrics) DeadLettered(msg *dispatcher.Message, route string) {
	t, r := m.routeLabels(route)
	m.dead.WithLabelValues(msg.Stream, t, r).Inc()
}

// Reclaimed counts n reclaimed entries of stream. n <= 0 is ignored.
func (m *Metrics) Reclaimed(stream string, n int) {
	if n > 0 {
		m.reclaimed.WithLabelValues(stream).Add(float64(n))
	}
}

// InstrumentRetry wraps a RetryScheduler so that every retry it schedules
// successfully is counted in streamfx_messages_retried_total. Use the result
// as dispatcher.Config.Retry. It panics if next is nil.
func (m *Metrics) InstrumentRetry(next dispatcher.RetryScheduler) dispatcher.RetryScheduler {
	if next == nil {
		panic("metrics: nil RetryScheduler passed to InstrumentRetry")
	}
	return &countingScheduler{m: m, next: next}
}

type countingScheduler struct {
	m    *Metrics
	next dispatcher.RetryScheduler
}

func (s *countingScheduler) ScheduleRetry(ctx context.Context, r dispatcher.RetryRequest) error {
	if err := s.next.ScheduleRetry(ctx, r); err != nil {
		return err
	}
	s.m.Retried(r.Message, r.Route)
	return nil
}

// reason maps an unroutable error to a bounded label value.
func reason(err error) string {
	switch {
	case errors.Is(err, dispatcher.ErrNoType):
		return "no_type"
	case errors.Is(err, dispatcher.ErrNoRoute):
		return "no_route"
	case errors.Is(err, redisstream.ErrMessageTooLarge):
		return "too_large"
	}
	return "other"
}
