package streamfx

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
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
// cfg.DeadLetterStream to the dead-letter streams of Config.Streams,
// cfg.MarkerTTL to the processors' MarkerTTL (a different one fails fx.New:
// the worker would not share the completion markers of idempotent routes), and
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
			newRetryScheduler,
			newRetrySchedulerValue,
			newRetryServer,
		),
		fx.Invoke(func(*asynqretry.Server) {}),
	)
}

// retrySchedulerParams are the dependencies of newRetryScheduler.
type retrySchedulerParams struct {
	fx.In

	Lifecycle   fx.Lifecycle
	Redis       redis.UniversalClient
	Logger      *zap.Logger
	Config      Config
	RetryConfig asynqretry.Config
	// Hooks (streamfx/fxmetrics) observe the retry side, beside
	// RetryConfig.Observer.
	Hooks []hook.Hook `group:"streamfx.hooks"`
}

// newRetryScheduler builds the scheduler from RetryConfig, with the app's
// logger and the configured dead-letter streams as defaults, and closes it
// when the app stops. The Redis client is shared, not closed.
func newRetryScheduler(p retrySchedulerParams) (*asynqretry.Scheduler, error) {
	cfg := p.RetryConfig
	if cfg.Queue == "" {
		cfg.Queue = p.Config.retryQueue()
	}
	if cfg.Logger == nil {
		cfg.Logger = p.Logger
	}
	cfg.Observer = combineObservers(cfg.Observer, p.Hooks)
	ttl, err := p.Config.retryMarkerTTL(cfg.MarkerTTL)
	if err != nil {
		return nil, err
	}
	cfg.MarkerTTL = ttl
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
		return nil, err
	}
	p.Lifecycle.Append(fx.StopHook(s.Close))
	return s, nil
}

// newRetrySchedulerValue provides the Scheduler as the dispatcher's
// RetryScheduler.
func newRetrySchedulerValue(s *asynqretry.Scheduler) dispatcher.RetryScheduler { return s }

// newRetryServer builds the asynq server that runs the retries; Processors
// starts and stops it.
func newRetryServer(rdb redis.UniversalClient, d *dispatcher.Dispatcher, s *asynqretry.Scheduler) (*asynqretry.Server, error) {
	return asynqretry.NewServer(rdb, d, s)
}
