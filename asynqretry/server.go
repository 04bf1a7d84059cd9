package asynqretry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// Server is the worker side: an asynq.Handler for TaskType tasks that runs
// the named route again through a Dispatcher, plus the lifecycle of an asynq
// server that feeds it. It shares the application's Redis client and never
// closes it.
type Server struct {
	rdb    redis.UniversalClient
	d      *dispatcher.Dispatcher
	s      *Scheduler
	cfg    Config
	log    *zap.Logger
	mux    *asynq.ServeMux
	srv    *asynq.Server
	base   context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	started  bool
	stopping bool
	done     chan struct{} // closed when the asynq server has shut down
}

// NewServer returns the worker side of s: retries run through d, the next
// attempts are scheduled and the dead letters written with s's Config and
// Redis client. rdb is the client the asynq server polls; it is normally the
// one s was built with. Neither is closed by the Server.
func NewServer(rdb redis.UniversalClient, d *dispatcher.Dispatcher, s *Scheduler) (*Server, error) {
	if rdb == nil || d == nil || s == nil {
		return nil, fmt.Errorf("%w: NewServer needs a Redis client, a dispatcher and a scheduler", ErrInvalidConfig)
	}
	cfg := s.cfg
	base, cancel := context.WithCancel(context.Background())
	srv := &Server{rdb: rdb, d: d, s: s, cfg: cfg, log: cfg.Logger.Named("asynqretry"), base: base, cancel: cancel,
		mux: asynq.NewServeMux(), done: make(chan struct{})}
	srv.Register(srv.mux)
	// A server built from an existing connection does not close it on
	// Shutdown (asynq v0.26 server.go, sharedConnection).
	srv.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		BaseContext:              func() context.Context { return base },
		Queues:                   map[string]int{cfg.Queue: 1},
		TaskCheckInterval:        cfg.TaskCheckInterval,
		DelayedTaskCheckInterval: cfg.DelayedTaskCheckInterval,
		ShutdownTimeout:          cfg.ShutdownTimeout,
		RetryDelayFunc:           func(n int, _ error, _ *asynq.Task) time.Duration { return cfg.Backoff(n + 1) },
		ErrorHandler:             asynq.ErrorHandlerFunc(srv.reportError),
		Logger:                   newAsynqLogger(cfg.Logger.Named("asynq")),
		LogLevel:                 asynq.InfoLevel,
	})
	return srv, nil
}

// Register registers the Server as the handler of TaskType on mux, for an
// application that runs its own asynq server (then it does not call Start).
// That server must process Config.Queue.
func (srv *Server) Register(mux *asynq.ServeMux) { mux.Handle(TaskType, srv) }

// Start checks that Redis answers within ctx, then starts the asynq server in
// the background and returns. It does not trap signals: the application
// stops the Server with Shutdown. Start after Shutdown returns ErrClosed; a
// second Start returns an error.
func (srv *Server) Start(ctx context.Context) error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	switch {
	case srv.stopping:
		return ErrClosed
	case srv.started:
		return fmt.Errorf("asynqretry: server already started")
	}
	if err := srv.rdb.Ping(ctx).Err(); err != nil {
		var reply redis.Error
		if errors.As(err, &reply) {
			// Redis answered: a wrong password, a DB index out of range, ...
			return fmt.Errorf("asynqretry: start: Redis refused the connection: %w", err)
		}
		return fmt.Errorf("asynqretry: start: Redis unreachable: %w", err)
	}
	if err := srv.srv.Start(srv.mux); err != nil {
		return fmt.Errorf("asynqretry: start asynq server: %w", err)
	}
	srv.started = true
	return nil
}

// Shutdown stops the asynq server: no new task is taken, running tasks get
// Config.ShutdownTimeout to finish, and a task that does not finish goes back
// to its queue (it is not lost). Shutdown returns nil once the server has
// stopped, or ctx.Err() if ctx ends first; in that case the handlers' context
// is cancelled so that they return promptly, asynq puts their tasks back for
// a later retry, and the server finishes stopping in the background.
// Shutdown is idempotent and safe to call concurrently.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	if !srv.stopping {
		srv.stopping = true
		if srv.started {
			go func() {
				defer close(srv.done)
				srv.srv.Shutdown()
			}()
		} else {
			close(srv.done)
		}
	}
	srv.mu.Unlock()
	select {
	case <-srv.done:
		srv.cancel()
		return nil
	case <-ctx.Done():
		srv.cancel()
		return ctx.Err()
	}
}

// Done returns a channel closed once the asynq server has stopped.
func (srv *Server) Done() <-chan struct{} { return srv.done }

// reportError logs a task error once: it is the only place the worker's
// errors are logged (ProcessTask returns them to asynq and does not log).
func (srv *Server) reportError(ctx context.Context, t *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	fields := []zap.Field{zap.String("task_id", id), zap.Int("retried", retried), zap.Int("max_retry", maxRetry), zap.Error(err)}
	if retried >= maxRetry || errors.Is(err, asynq.SkipRetry) {
		srv.log.Error("retry task archived by asynq; inspect or run it again with asynq's Inspector", fields...)
		return
	}
	srv.log.Warn("retry task failed; asynq will run it again", fields...)
}
