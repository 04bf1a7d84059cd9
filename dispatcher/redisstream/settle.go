package redisstream

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// deadLetterTimeout bounds one dead-letter write.
const deadLetterTimeout = 10 * time.Second

// errNoFailure is the dead-letter reason of a failed outcome that names no
// failure.
var errNoFailure = fmt.Errorf("%w: no failure recorded", ErrTooManyDeliveries)

// settleAll settles every entry of the results rs, queueing the
// acknowledgements of each result's stream at once, then recycles the
// arrays of outcomes and hands rs back to the scheduler for reuse.
func (s *settler) settleAll(rs []result) {
	for i := range rs {
		r := &rs[i]
		ids := s.acks[r.stream]
		queued := len(ids)
		for j := range r.done {
			if s.settle(&r.done[j]) {
				ids = append(ids, r.done[j].msg.ID)
			}
		}
		s.acks[r.stream] = ids
		s.queued += len(ids) - queued
	}
	for i := range rs {
		s.arrays.put(rs[i].done)
	}
	clear(rs)
	select {
	case s.recycle <- rs[:0]:
	default:
	}
}

// settle acts on one entry's outcome and reports whether to acknowledge
// it: ack, leave pending, or dead-letter then ack. Each failure is logged
// once: a retry handed to the RetryScheduler and an entry left pending at
// warn level, a dead letter at error level (see deadLetter).
func (s *settler) settle(h *handled) (ack bool) {
	msg, out := &h.msg, &h.out
	if len(out.Completed) > 0 {
		s.mark(msg.Stream, msg.ID, out.Completed)
	}
	if h.rejected {
		return s.settleDeadLetter(msg, *out)
	}
	switch out.Action {
	case dispatcher.Ack:
		if out.Unroutable != nil {
			s.msgLog(msg).Warn("message not routed; acknowledged", zap.Error(out.Unroutable))
		}
		s.logFailures(msg, out.Retried, "route failed; retry scheduled")
		s.observe(msg, out)
		return true
	case dispatcher.Retry:
		if out.ScheduleErr != nil {
			s.msgLog(msg).Error("retry scheduling failed; message left pending", zap.Error(out.ScheduleErr))
		}
		if msg.Attempt >= s.cfg.MaxDeliveries {
			out.Action = dispatcher.DeadLetter
			return s.settleDeadLetter(msg, *out)
		}
		s.logFailures(msg, out.Failures, "route failed; message left pending for redelivery")
		s.flights.release(msg.Stream, msg.ID)
		s.observe(msg, out)
	case dispatcher.DeadLetter:
		s.logFailures(msg, out.Retried, "route failed; retry scheduled")
		return s.settleDeadLetter(msg, *out)
	}
	return false
}

// settleDeadLetter dead-letters msg for o.Failures and reports o to the
// Observer, as a Retry if the write failed (msg then stays pending). It
// reports whether to acknowledge msg: whether the write succeeded.
func (s *settler) settleDeadLetter(msg *dispatcher.Message, o dispatcher.Outcome) bool {
	if len(o.Failures) == 0 {
		o.Failures = []dispatcher.RouteFailure{{Err: errNoFailure}}
	}
	ok := s.deadLetter(msg, o.Failures)
	if !ok {
		o.Action = dispatcher.Retry
	}
	s.observe(msg, &o)
	return ok
}

// deadLetter writes one dead-letter entry per failure (settleDeadLetter
// makes sure there is one) and reports whether it did: msg is then to be
// acknowledged. If the write fails, msg is not acked: it stays pending and
// is tried again later.
func (s *settler) deadLetter(msg *dispatcher.Message, failures []dispatcher.RouteFailure) bool {
	dl := s.cfg.deadLetterStream(msg.Stream)
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	if err := s.writeDeadLetter(ctx, dl, msg, failures); err != nil {
		s.msgLog(msg).Error("dead-letter write failed; message left pending", zap.Error(err))
		s.flights.release(msg.Stream, msg.ID)
		return false
	}
	for _, f := range failures {
		fields := []zap.Field{zap.String("route", f.Route), zap.String("dead_letter_stream", dl), zap.Error(f.Err)}
		if stack := dispatcher.PanicStack(f.Err); stack != nil {
			fields = append(fields, zap.ByteString("stack", stack))
		}
		s.msgLog(msg).Error("message dead-lettered", fields...)
	}
	return true
}

// logFailures logs each of failures of msg at warn level.
func (s *settler) logFailures(msg *dispatcher.Message, failures []dispatcher.RouteFailure, what string) {
	for _, f := range failures {
		s.msgLog(msg).Warn(what, zap.String("route", f.Route), zap.Error(f.Err))
	}
}

// msgLog returns the logger with msg's coordinates.
func (s *settler) msgLog(msg *dispatcher.Message) *zap.Logger {
	return s.log.With(zap.String("stream", msg.Stream), zap.String("id", msg.ID),
		zap.String("type", msg.Type), zap.Int("attempt", msg.Attempt))
}

// observe reports the outcome the Processor acted on for msg, if an
// Observer is configured.
func (s *settler) observe(msg *dispatcher.Message, o *dispatcher.Outcome) {
	if obs := s.cfg.Observer; obs != nil {
		obs.ObserveOutcome(msg, *o)
	}
}
