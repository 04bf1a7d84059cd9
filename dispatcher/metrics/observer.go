package metrics

import (
	"errors"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

var _ dispatcher.Observer = (*Metrics)(nil)

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
// here, because Outcome does not name their routes: the scheduler reports
// them through Retried (asynqretry.Config.Observer), as an ordered
// Processor reports its retries in place. Handled and failed runs are
// counted by Middleware.
func (m *Metrics) ObserveOutcome(msg *dispatcher.Message, o dispatcher.Outcome) {
	if o.Unroutable != nil {
		m.unroutable.WithLabelValues(msg.ConsumerGroup, msg.Stream, reason(o.Unroutable)).Inc()
	}
	if o.Skipped > 0 {
		m.skipped.WithLabelValues(msg.ConsumerGroup, msg.Stream, msg.Type).Add(float64(o.Skipped))
	}
	switch o.Action {
	case dispatcher.Retry:
		for _, f := range o.Failures {
			m.Retried(msg, f.Route)
		}
	case dispatcher.DeadLetter:
		for _, f := range o.Failures {
			if f.Route == "" && o.Unroutable == nil && errors.Is(f.Err, redisstream.ErrMessageTooLarge) {
				m.unroutable.WithLabelValues(msg.ConsumerGroup, msg.Stream, reason(f.Err)).Inc()
			}
			m.DeadLettered(msg, f.Route)
		}
	}
}

// Retried counts one retry of route for msg stored outside the stream (by
// the retry side) or kept to run again in place (by an ordered Processor).
func (m *Metrics) Retried(msg *dispatcher.Message, route string) {
	t, r := m.routeLabels(route)
	m.retried.WithLabelValues(msg.ConsumerGroup, msg.Stream, t, r).Inc()
}

// DeadLettered counts one dead letter of route for msg; route is empty for
// an entry that could not be routed.
func (m *Metrics) DeadLettered(msg *dispatcher.Message, route string) {
	t, r := m.routeLabels(route)
	m.dead.WithLabelValues(msg.ConsumerGroup, msg.Stream, t, r).Inc()
}

// Reclaimed counts n entries of stream reclaimed for consumer group group.
// n <= 0 is ignored.
func (m *Metrics) Reclaimed(group, stream string, n int) {
	if n > 0 {
		m.reclaimed.WithLabelValues(group, stream).Add(float64(n))
	}
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
