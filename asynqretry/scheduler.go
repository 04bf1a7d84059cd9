package asynqretry

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/deadletter"
)

// Scheduler is the enqueue side: a dispatcher.RetryScheduler that turns each
// failed route run into a delayed asynq task. It shares the application's
// Redis client and never closes it. It is safe for concurrent use.
type Scheduler struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	cfg    Config
	log    *zap.Logger
	closed atomic.Bool
}

var _ dispatcher.RetryScheduler = (*Scheduler)(nil)

// NewScheduler returns a Scheduler that enqueues on rdb with cfg (defaults
// applied). rdb is shared: neither the Scheduler nor asynq closes it.
func NewScheduler(rdb redis.UniversalClient, cfg Config) (*Scheduler, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidConfig)
	}
	custom := cfg.Backoff != nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Logger.Named("asynqretry")
	if custom && subSecond(cfg.Backoff) {
		log.Warn("asynqretry: Backoff(1) is under a second, but asynq stores due times in whole seconds: " +
			"such a retry runs anywhere from at once to about a second later (see Config.Backoff)")
	}
	if d := longestDelay(cfg.Backoff, cfg.MaxAttempts); d >= cfg.MarkerTTL {
		log.Warn("asynqretry: a retry may wait longer than MarkerTTL: a route that completed meanwhile "+
			"(run again from the stream) loses its completion marker before the retry runs, and runs again (see Config.MarkerTTL)",
			zap.Duration("longest_backoff", d), zap.Duration("marker_ttl", cfg.MarkerTTL), zap.Int("max_attempts", cfg.MaxAttempts))
	}
	// A client built from an existing connection does not own it: its Close
	// refuses to close it (asynq v0.26 client.go, sharedConnection).
	return &Scheduler{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), cfg: cfg, log: log}, nil
}

// subSecond reports whether backoff's first delay is under a second, over a
// few calls (a jittered backoff around 1s is not).
func subSecond(backoff func(int) time.Duration) bool {
	for range 8 {
		if backoff(1) >= time.Second {
			return false
		}
	}
	return true
}

// longestDelay returns the longest delay backoff gives a retry before the
// last of maxAttempts runs, over a few calls per attempt (it may be
// jittered). Attempts beyond 1,000 are not looked at.
func longestDelay(backoff func(int) time.Duration, maxAttempts int) time.Duration {
	var longest time.Duration
	for attempt := 1; attempt < min(maxAttempts, 1000); attempt++ {
		for range 8 {
			longest = max(longest, backoff(attempt))
		}
	}
	return longest
}

// Config returns the configuration with defaults applied.
func (s *Scheduler) Config() Config { return s.cfg }

// ScheduleRetry schedules route r.Route of r.Message to run again after
// r.Delay, or after Config.Backoff(r.Attempt) when r.Delay is not positive.
// It returns nil once the retry task is stored in Redis, or was already
// stored under the same task ID (see TaskID): the caller may then acknowledge
// the message. It returns an error (and the caller must keep the message
// pending) when Redis could not store it, after Close, or for an invalid
// request.
//
// When r.Attempt has already reached Config.MaxAttempts (a message that was
// redelivered that often before a retry could be scheduled), no retry is
// scheduled: the route's failure is written to the dead-letter stream
// instead, and nil means it was written. Config.Observer is told either
// (Retried or DeadLettered).
func (s *Scheduler) ScheduleRetry(ctx context.Context, r dispatcher.RetryRequest) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if r.Message == nil || r.Message.Stream == "" || r.Message.ID == "" || r.Route == "" {
		return fmt.Errorf("%w: message, stream, entry ID and route are required", ErrInvalidRequest)
	}
	attempt := max(r.Attempt, 1)
	if attempt >= s.cfg.MaxAttempts {
		if err := s.deadLetter(ctx, r.Message, r.Route, r.Err, attempt); err != nil {
			return err
		}
		s.deadLettered(r.Message, r.Route, attempt, r.Err)
		return nil
	}
	delay := r.Delay
	if delay <= 0 {
		delay = s.cfg.Backoff(attempt)
	}
	p := newPayload(r.Message, r.Route, attempt, r.Err)
	if err := s.enqueue(ctx, p, delay, TaskID(p.Stream, p.ID, p.Route, 0), asynq.Retention(s.cfg.DedupWindow)); err != nil {
		return err
	}
	s.retried(r.Message, r.Route, attempt, delay, r.Err)
	return nil
}

// retried logs, at warn level, that run attempt of route failed and the next
// run is stored, and tells the Observer.
func (s *Scheduler) retried(msg *dispatcher.Message, route string, attempt int, delay time.Duration, cause error) {
	s.log.Warn("route failed; retry scheduled", zap.String("route", route), zap.String("stream", msg.Stream),
		zap.String("id", msg.ID), zap.Int("attempt", attempt), zap.Time("next_run", time.Now().Add(delay)),
		zap.Error(cause))
	if s.cfg.Observer != nil {
		s.cfg.Observer.Retried(msg, route)
	}
}

// deadLettered logs, at error level, that route was dead-lettered after
// attempts runs, and tells the Observer.
func (s *Scheduler) deadLettered(msg *dispatcher.Message, route string, attempts int, cause error) {
	s.log.Error("route dead-lettered", zap.String("route", route), zap.String("stream", msg.Stream),
		zap.String("id", msg.ID), zap.Int("attempts", attempts), zap.String("dead_letter_stream", s.cfg.DeadLetterStream(msg.Stream)),
		zap.Error(cause))
	if s.cfg.Observer != nil {
		s.cfg.Observer.DeadLettered(msg, route)
	}
}

// Close makes later ScheduleRetry calls fail with ErrClosed. It does not
// close the shared Redis client, and does not stop a Server built on s: the
// worker side keeps scheduling the next attempts of the tasks it runs.
// Close is idempotent and always returns nil.
func (s *Scheduler) Close() error {
	s.closed.Store(true)
	return nil
}

// enqueue stores the task for p under task ID id, delayed by delay. A
// task-ID conflict means the same retry is already stored: success.
func (s *Scheduler) enqueue(ctx context.Context, p payload, delay time.Duration, id string, extra ...asynq.Option) error {
	task, err := p.task()
	if err != nil {
		return err
	}
	opts := append([]asynq.Option{
		asynq.Queue(s.cfg.Queue),
		asynq.TaskID(id),
		asynq.ProcessIn(delay),
		asynq.MaxRetry(s.cfg.MaxTaskRetry),
	}, extra...)
	_, err = s.client.EnqueueContext(ctx, task, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("asynqretry: enqueue retry %d of %s/%s route %s: %w", p.Attempt+1, p.Stream, p.ID, p.Route, err)
	}
	return nil
}

// deadLetter writes the failure of route after attempts runs to the
// dead-letter stream of msg's stream.
func (s *Scheduler) deadLetter(ctx context.Context, msg *dispatcher.Message, route string, cause error, attempts int) error {
	stream := s.cfg.DeadLetterStream(msg.Stream)
	failures := []dispatcher.RouteFailure{{Route: route, Err: cause}}
	return deadletter.Write(ctx, s.rdb, stream, msg, failures, attempts)
}
