package redisstream

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/deadletter"
)

// deadLetterTimeout bounds one dead-letter write.
const deadLetterTimeout = 10 * time.Second

// errNoFailure is the dead-letter reason of a failed outcome that names no
// failure.
var errNoFailure = fmt.Errorf("%w: no failure recorded", ErrTooManyDeliveries)

// job is one claimed entry queued for a handler worker.
type job struct {
	stream string
	entry
}

// work is one handler worker: it runs the queued entries one at a time
// until the queue is closed. An entry taken once reading stopped is given
// back unhandled: it stays pending (see handBack).
func (r *run) work() {
	defer r.handlers.Done()
	for j := range r.jobs {
		if r.readCtx.Err() != nil {
			r.giveBack(j.stream, []entry{j.entry})
			continue
		}
		r.handle(j.stream, j.entry)
	}
}

// handle runs one entry through the dispatcher and settles it: ack, leave
// pending, or dead-letter then ack.
func (r *run) handle(stream string, e entry) {
	fields, size := toFields(e.values)
	msg := dispatcher.NewMessage(stream, e.id, fields)
	msg.ConsumerGroup = r.cfg.Group
	msg.Attempt = e.attempts
	if reason := r.reject(msg, size); reason != nil {
		r.settleDeadLetter(msg, dispatcher.Outcome{Action: dispatcher.DeadLetter,
			Failures: []dispatcher.RouteFailure{{Err: reason}}})
		return
	}
	out := r.p.d.Process(r.hctx, msg)
	if r.aborted() {
		return // Shutdown gave up on this one: it stays pending
	}
	switch out.Action {
	case dispatcher.Ack:
		if out.Unroutable != nil {
			r.msgLog(msg).Warn("message not routed; acknowledged", zap.Error(out.Unroutable))
		}
		r.ack(msg)
		r.observe(msg, out)
	case dispatcher.Retry:
		r.logFailures(msg, out, "message failed; left pending for redelivery")
		if msg.Attempt >= r.cfg.MaxDeliveries {
			out.Action = dispatcher.DeadLetter
			r.settleDeadLetter(msg, out)
			return
		}
		r.flights.release(stream, msg.ID)
		r.observe(msg, out)
	case dispatcher.DeadLetter:
		r.logFailures(msg, out, "message failed for good; dead-lettering it")
		r.settleDeadLetter(msg, out)
	}
}

// settleDeadLetter dead-letters msg for o.Failures and reports o to the
// Observer, as a Retry if the write failed (msg then stays pending).
func (r *run) settleDeadLetter(msg *dispatcher.Message, o dispatcher.Outcome) {
	if len(o.Failures) == 0 {
		o.Failures = []dispatcher.RouteFailure{{Err: errNoFailure}}
	}
	if !r.deadLetter(msg, o.Failures) {
		o.Action = dispatcher.Retry
	}
	r.observe(msg, o)
}

// reject returns why msg, of size bytes (see toFields), must be
// dead-lettered without running any handler, or nil.
func (r *run) reject(msg *dispatcher.Message, size int) error {
	if limit := r.cfg.MaxMessageBytes; limit > 0 {
		if size > limit {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, size, limit)
		}
	}
	if msg.Attempt > r.cfg.MaxDeliveries {
		return fmt.Errorf("%w: delivered %d times, limit %d", ErrTooManyDeliveries, msg.Attempt, r.cfg.MaxDeliveries)
	}
	return nil
}

// ack queues msg's acknowledgement.
func (r *run) ack(msg *dispatcher.Message) {
	if !r.acks.add(msg.Stream, msg.ID) {
		r.flights.release(msg.Stream, msg.ID)
	}
}

// deadLetter writes one dead-letter entry per failure (settleDeadLetter
// makes sure there is one), then acks msg, and reports whether it did. If
// the write fails, msg is not acked: it stays pending and is tried again
// later.
func (r *run) deadLetter(msg *dispatcher.Message, failures []dispatcher.RouteFailure) bool {
	dl := r.cfg.deadLetterStream(msg.Stream)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.hctx), deadLetterTimeout)
	defer cancel()
	if err := deadletter.Write(ctx, r.p.rdb, dl, msg, failures, msg.Attempt); err != nil {
		r.msgLog(msg).Error("dead-letter write failed; message left pending", zap.Error(err))
		r.flights.release(msg.Stream, msg.ID)
		return false
	}
	for _, f := range failures {
		r.msgLog(msg).Warn("message dead-lettered", zap.String("route", f.Route),
			zap.String("dead_letter_stream", dl), zap.Error(f.Err))
	}
	r.ack(msg)
	return true
}

// logFailures logs each failed route of msg.
func (r *run) logFailures(msg *dispatcher.Message, out dispatcher.Outcome, what string) {
	l := r.msgLog(msg)
	if out.ScheduleErr != nil {
		l.Error("retry scheduling failed; message left pending", zap.Error(out.ScheduleErr))
	}
	for _, f := range out.Failures {
		l.Warn(what, zap.String("route", f.Route), zap.Error(f.Err))
	}
}

// msgLog returns the logger with msg's coordinates.
func (r *run) msgLog(msg *dispatcher.Message) *zap.Logger {
	return r.p.log.With(zap.String("stream", msg.Stream), zap.String("id", msg.ID),
		zap.String("type", msg.Type), zap.Int("attempt", msg.Attempt))
}
