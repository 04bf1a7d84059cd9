package streamfx

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
)

// WithAsynqRetry is an opt-in companion of Module that retries failed
// routes with asynq:
//
//	fx.New(streamfx.Module, streamfx.WithAsynqRetry(asynqretry.Config{MaxAttempts: 3}), ...)
//
// It provides the *asynqretry.Scheduler and, as the dispatcher's
// dispatcher.RetryScheduler, the same value; and it runs the
// *asynqretry.Server with the app: started before the processors, stopped
// after them (so in-flight handlers drain first), then the scheduler is
// closed. Each failed route is retried alone, up to cfg.MaxAttempts runs,
// then dead-lettered. cfg.Logger defaults to the app's logger,
// cfg.DeadLetterStream to the dead-letter streams of Config.Streams, and
// cfg.Queue to a queue named after the app's consumer groups ("streamfx"
// for the default group, "streamfx:billing" for a worker consuming with
// group "billing"): split workers, which must use their own consumer groups,
// then never run each other's retries (a worker that picked up a retry of a
// route it does not mount would have to dead-letter it). Without
// this option, failed messages stay pending and are reclaimed by the
// processors.
func WithAsynqRetry(cfg asynqretry.Config) fx.Option {
	return fx.Module("streamfx.asynqretry",
		fx.Supply(cfg, fx.Private),
		fx.Provide(
			NewRetryScheduler,
			newRetrySchedulerValue,
			NewRetryServer,
		),
		fx.Invoke(func(*asynqretry.Server) {}),
	)
}

// RetrySchedulerParams are the dependencies of NewRetryScheduler.
type RetrySchedulerParams struct {
	fx.In

	Lifecycle   fx.Lifecycle
	Redis       redis.UniversalClient
	Logger      *zap.Logger
	Config      Config
	RetryConfig asynqretry.Config
	// Instrumentation (WithMetrics) observes the retry worker, after
	// RetryConfig.Observer.
	Instrumentation []Instrumentation `group:"streamfx.instrumentation"`
}

// RetrySchedulerResult is the result of NewRetryScheduler.
type RetrySchedulerResult struct {
	fx.Out

	Scheduler *asynqretry.Scheduler
}

// NewRetryScheduler builds the scheduler from RetryConfig, with the app's
// logger and the configured dead-letter streams as defaults, and closes it
// when the app stops. The Redis client is shared, not closed.
func NewRetryScheduler(p RetrySchedulerParams) (RetrySchedulerResult, error) {
	cfg := p.RetryConfig
	if cfg.Queue == "" {
		cfg.Queue = p.Config.retryQueue()
	}
	if cfg.Logger == nil {
		cfg.Logger = p.Logger
	}
	cfg.Observer = combineObservers(cfg.Observer, p.Instrumentation)
	if dls := p.Config.deadLetterStreams(); cfg.DeadLetterStream == nil && len(dls) > 0 {
		cfg.DeadLetterStream = func(stream string) string {
			if s, ok := dls[stream]; ok {
				return s
			}
			return dispatcher.DeadLetterStream(stream)
		}
	}
	s, err := asynqretry.NewScheduler(p.Redis, cfg)
	if err != nil {
		return RetrySchedulerResult{}, err
	}
	p.Lifecycle.Append(fx.StopHook(s.Close))
	return RetrySchedulerResult{Scheduler: s}, nil
}

// newRetrySchedulerValue provides the Scheduler as the dispatcher's
// RetryScheduler.
func newRetrySchedulerValue(s *asynqretry.Scheduler) dispatcher.RetryScheduler { return s }

// RetryServerParams are the dependencies of NewRetryServer.
type RetryServerParams struct {
	fx.In

	Lifecycle  fx.Lifecycle
	Redis      redis.UniversalClient
	Dispatcher *dispatcher.Dispatcher
	Scheduler  *asynqretry.Scheduler
}

// RetryServerResult is the result of NewRetryServer.
type RetryServerResult struct {
	fx.Out

	Server *asynqretry.Server
}

// NewRetryServer builds the asynq server that runs the retries and appends
// its lifecycle hook: OnStart starts it without blocking, OnStop shuts it
// down within the stop context.
func NewRetryServer(p RetryServerParams) (RetryServerResult, error) {
	srv, err := asynqretry.NewServer(p.Redis, p.Dispatcher, p.Scheduler)
	if err != nil {
		return RetryServerResult{}, err
	}
	p.Lifecycle.Append(fx.Hook{OnStart: srv.Start, OnStop: srv.Shutdown})
	return RetryServerResult{Server: srv}, nil
}
