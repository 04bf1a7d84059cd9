package asynqretry

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/streamfx/streamfx/dispatcher"
)

// ProcessTask runs one retry; Server is an asynq.Handler. It rebuilds the
// message (Attempt is the run number) and runs only the named route through
// the Dispatcher.
//
//   - The route returns nil: the task is done (nil).
//   - The route fails and runs remain: the next attempt is enqueued as a new
//     task (ID from TaskID, delay from Config.Backoff), then nil.
//   - The route fails for the last time, fails with a Permanent error, or no
//     longer exists (dispatcher.ErrRouteNotFound): the message is written to
//     the dead-letter stream, then nil.
//   - The next attempt or the dead letter cannot be written (Redis
//     unreachable), or ctx ended while the route ran: an error, and asynq runs
//     this same task again later (at most Config.MaxTaskRetry times). The
//     route then runs again under the same run number.
//   - The payload cannot be decoded: an error wrapping ErrMalformedTask and
//     asynq.SkipRetry; asynq archives the task.
//
// Once the next attempt is stored it logs it at warn level (route, stream,
// entry ID, attempt, next run, error) and tells Config.Observer (Retried);
// once the dead letter is written, it logs it at error level and tells the
// Observer (DeadLettered). Each is logged once: an error returned to asynq
// is logged by the Server's error handler instead.
func (srv *Server) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := decodePayload(t.Payload())
	if err != nil {
		return err
	}
	msg := p.message()
	runErr := srv.d.RunRoute(ctx, p.Route, msg)
	if runErr == nil {
		return nil
	}
	if ctx.Err() != nil {
		// Shutdown or task deadline: asynq puts the task back itself; do not
		// also schedule the next attempt.
		return fmt.Errorf("asynqretry: run %d of %s/%s route %s interrupted: %w", msg.Attempt, p.Stream, p.ID, p.Route, ctx.Err())
	}
	if dead, attempts, reason := srv.final(p, msg, runErr); dead {
		if err := srv.s.deadLetter(ctx, msg, p.Route, reason, attempts); err != nil {
			return fmt.Errorf("asynqretry: run %d of route %s failed (%v) and could not be dead-lettered: %w", msg.Attempt, p.Route, runErr, err)
		}
		srv.s.deadLettered(msg, p.Route, attempts, reason)
		return nil
	}
	next := newPayload(msg, p.Route, msg.Attempt, runErr)
	delay := srv.cfg.Backoff(msg.Attempt)
	if err := srv.s.enqueue(ctx, next, delay, next.taskID()); err != nil {
		return fmt.Errorf("asynqretry: run %d of route %s failed (%v) and the next run could not be scheduled: %w", msg.Attempt, p.Route, runErr, err)
	}
	srv.s.retried(msg, p.Route, msg.Attempt, delay, runErr)
	return nil
}

// final reports whether the failed run ends the retries of the route, and
// then the attempt count and reason to dead-letter with. A route that no
// longer exists did not run: its count stays at the runs that happened, and
// the reason keeps the last real error.
func (srv *Server) final(p payload, msg *dispatcher.Message, runErr error) (dead bool, attempts int, reason error) {
	switch {
	case errors.Is(runErr, dispatcher.ErrRouteNotFound):
		if p.Error != "" {
			runErr = fmt.Errorf("%w (last error: %s)", runErr, p.Error)
		}
		return true, p.Attempt, runErr
	case dispatcher.IsPermanent(runErr), msg.Attempt >= srv.cfg.MaxAttempts:
		return true, msg.Attempt, runErr
	}
	return false, 0, nil
}
