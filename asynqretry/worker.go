package asynqretry

import (
	"context"
	"errors"
	"fmt"

	"slices"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
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
	idempotent := slices.Contains(srv.d.IdempotentRoutes(msg.Type), p.Route)
	if idempotent && srv.completed(ctx, p.Route, msg) {
		srv.log.Info("route completed before; retry skipped", zap.String("stream", msg.Stream),
			zap.String("id", msg.ID), zap.String("route", p.Route), zap.Int("attempt", msg.Attempt))
		return nil
	}
	runErr := srv.d.RunRoute(ctx, p.Route, msg)
	if runErr == nil {
		if idempotent {
			srv.record(ctx, p.Route, msg)
		}
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

// completed reports whether route has a completion marker for msg. If the
// lookup fails, the route runs (at least once, as without markers).
func (srv *Server) completed(ctx context.Context, route string, msg *dispatcher.Message) bool {
	done, err := srv.markers(msg).Completed(ctx, []marker.Query{{Stream: msg.Stream, ID: msg.ID, Routes: []string{route}}})
	if err != nil {
		srv.log.Warn("completion marker not read; the route runs", zap.String("route", route), zap.Error(err))
		return false
	}
	return len(done[0]) > 0
}

// record writes route's completion marker for msg. A failed write is
// logged: the route succeeded, and would only run again if retried.
func (srv *Server) record(ctx context.Context, route string, msg *dispatcher.Message) {
	_, err := srv.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		srv.markers(msg).Record(ctx, p, msg.Stream, []string{marker.Field(msg.ID, route)})
		return nil
	})
	if err != nil {
		srv.log.Warn("completion marker not written", zap.String("route", route), zap.Error(err))
	}
}

// markers returns the marker store of msg's consumer group.
func (srv *Server) markers(msg *dispatcher.Message) *marker.Store {
	return marker.New(srv.rdb, msg.ConsumerGroup, srv.cfg.MarkerTTL)
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
