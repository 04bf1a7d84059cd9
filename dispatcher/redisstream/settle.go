package redisstream

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// deadLetterTimeout bounds one dead-letter write.
const deadLetterTimeout = 10 * time.Second

// errNoFailure is the dead-letter reason of a failed outcome that names no
// failure.
var errNoFailure = fmt.Errorf("%w: no failure recorded", ErrTooManyDeliveries)

// settleAll settles every entry of the results rs, queueing the
// acknowledgements of each result's stream at once, writes their dead
// letters in one round trip, then recycles the arrays of outcomes and
// hands rs back to the scheduler for reuse. Of a result kept for a retry
// in place, it only queues the completion markers and counts the run.
func (s *settler) settleAll(rs []result) {
	for i := range rs {
		r := &rs[i]
		ids := s.acks[r.stream]
		queued := len(ids)
		for j := range r.done {
			if h := &r.done[j]; r.kept {
				s.markCompleted(h)
				s.inPlace = append(s.inPlace, runInPlace{stream: h.msg.Stream, id: h.msg.ID, attempt: h.msg.Attempt})
				continue
			}
			if s.settle(&r.done[j]) {
				ids = append(ids, r.done[j].msg.ID)
			}
		}
		s.acks[r.stream] = ids
		s.queued += len(ids) - queued
	}
	s.deadLetterAll()
	s.countRunsInPlace()
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
// it now: ack, leave pending, or queue its dead letters (see
// deadLetterAll), which acks it once they are written. Each failure is
// logged once: a retry handed to the RetryScheduler and an entry left
// pending at warn level, a dead letter at error level.
func (s *settler) settle(h *handled) (ack bool) {
	msg, out := &h.msg, &h.out
	s.markCompleted(h)
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

// markCompleted queues the completion markers of the idempotent routes
// that completed in h (see mark): also for a run the policy keeps to run
// again in place, so that a crash or a stop before its last run does not
// run them again on redelivery.
func (s *settler) markCompleted(h *handled) {
	if len(h.out.Completed) > 0 {
		s.mark(h.msg.Stream, h.msg.ID, h.out.Completed)
	}
}

// runInPlace is a run of an entry that its policy keeps to run it again in
// place: attempt is its number, the runs of the entry so far.
type runInPlace struct {
	stream, id string
	attempt    int
}

// countRunsInPlace sets the delivery count in Redis of each entry run in
// place since the last call to the runs it had so far (XCLAIM ... RETRYCOUNT
// n JUSTID, which also refreshes its lease), in one round trip: a run in
// place is no delivery, and without it the next delivery of the entry,
// after a stop or a crash, would count from the last delivery and give it
// more than MaxDeliveries runs in all. A failure is logged and left: the
// entry may then run that many times more.
func (s *settler) countRunsInPlace() {
	if len(s.inPlace) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range s.inPlace {
			p.Do(ctx, "xclaim", r.stream, s.cfg.Group, s.cfg.Consumer, 0, r.id, "RETRYCOUNT", r.attempt, "JUSTID")
		}
		return nil
	})
	if err != nil {
		s.log.Warn("cannot count runs in place in Redis; after a stop these entries may run more than MaxDeliveries times",
			zap.Int("entries", len(s.inPlace)), zap.Error(err))
	}
	clear(s.inPlace)
	s.inPlace = s.inPlace[:0]
}

// deadEntry is an entry to dead-letter, with the outcome to report.
type deadEntry struct {
	msg *dispatcher.Message
	out dispatcher.Outcome
}

// settleDeadLetter queues the dead letters of msg, one per failure of o
// (errNoFailure if it names none), for deadLetterAll, and reports false:
// msg is acked once they are written.
func (s *settler) settleDeadLetter(msg *dispatcher.Message, o dispatcher.Outcome) bool {
	if len(o.Failures) == 0 {
		o.Failures = []dispatcher.RouteFailure{{Err: errNoFailure}}
	}
	s.dead = append(s.dead, deadEntry{msg: msg, out: o})
	return false
}

// deadLetterAll writes the dead letters queued by settleDeadLetter, in one
// pipelined round trip (see writeDeadLetters), acks each entry whose dead
// letters were all written, and reports each outcome to the Observer, as a
// Retry for an entry whose write failed: it is not acked, stays pending and
// is tried again later.
func (s *settler) deadLetterAll() {
	if len(s.dead) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	errs := s.writeDeadLetters(ctx, s.dead)
	for i := range s.dead {
		d := &s.dead[i]
		if errs[i] != nil {
			s.msgLog(d.msg).Error("dead-letter write failed; message left pending", zap.Error(errs[i]))
			s.flights.release(d.msg.Stream, d.msg.ID)
			d.out.Action = dispatcher.Retry
		} else {
			s.logDeadLetters(d.msg, d.out.Failures)
			s.ack(d.msg.Stream, d.msg.ID)
		}
		s.observe(d.msg, &d.out)
	}
	clear(s.dead)
	s.dead = s.dead[:0]
}

// logDeadLetters logs, at error level, each failure of msg written to its
// dead-letter stream, with the stack of a panic.
func (s *settler) logDeadLetters(msg *dispatcher.Message, failures []dispatcher.RouteFailure) {
	dl := s.cfg.deadLetterStream(msg.Stream)
	for _, f := range failures {
		fields := []zap.Field{zap.String("route", f.Route), zap.String("dead_letter_stream", dl), zap.Error(f.Err)}
		if stack := dispatcher.PanicStack(f.Err); stack != nil {
			fields = append(fields, zap.ByteString("stack", stack))
		}
		s.msgLog(msg).Error("message dead-lettered", fields...)
	}
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
