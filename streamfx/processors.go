package streamfx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
)

// processorsParams are the dependencies of newProcessors.
type processorsParams struct {
	fx.In

	Lifecycle  fx.Lifecycle
	Shutdowner fx.Shutdowner
	Redis      redis.UniversalClient
	Dispatcher *dispatcher.Dispatcher
	Config     Config
	Logger     *zap.Logger
	// RetryServer, when provided (WithAsynqRetry), is started before the
	// processors and stopped after them, in the same lifecycle hook.
	RetryServer *asynqretry.Server `optional:"true"`
	// Hooks (streamfx/fxmetrics) observe each processor.
	Hooks []hook.Hook `group:"streamfx.hooks"`
}

// newProcessors validates the Config, builds one redisstream.Processor per
// configured processor and appends a lifecycle hook: OnStart creates the
// consumer groups and starts consuming without blocking; OnStop stops every
// processor within the stop context, letting in-flight handlers finish (what
// does not finish in time stays pending and is redelivered later).
//
// It fails with ErrInvalidConfig for a bad Config, ErrNoRoutes when streams
// are configured but no route is mounted, and ErrNoStreams when routes are
// mounted but no stream is configured. It warns about unknown STREAMFX_
// variables and about a MinIdle below twice the ReclaimInterval.
func newProcessors(p processorsParams) (*Processors, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	routes, consumers := len(p.Dispatcher.Routes()), len(p.Config.Processors)+len(p.Config.Partitioned)
	switch {
	case consumers > 0 && routes == 0:
		return nil, fmt.Errorf("%w: contribute routes with streamfx.AsRoute or streamfx.AsRouter", ErrNoRoutes)
	case consumers == 0 && routes > 0:
		return nil, fmt.Errorf("%w: %d routes are mounted but Config.Processors and Config.Partitioned are empty "+
			"(set STREAMFX_STREAMS when loading the config from the environment)", ErrNoStreams, routes)
	}
	if len(p.Config.unknownEnv) > 0 {
		p.Logger.Warn("streamfx: unknown environment variables ignored (misspelt?)", zap.Strings("variables", p.Config.unknownEnv))
	}
	ps := &Processors{log: p.Logger, shutdowner: p.Shutdowner, stop: make(chan struct{})}
	if p.RetryServer != nil {
		ps.retry = p.RetryServer
	}
	for _, cfg := range p.Config.processorConfigs(p.Logger) {
		cfg.Observer = combineObservers(cfg.Observer, p.Hooks)
		proc, err := redisstream.NewProcessor(p.Redis, p.Dispatcher, cfg)
		if err != nil {
			return nil, fmt.Errorf("%w: streams %q: %w", ErrInvalidConfig, cfg.Streams, err)
		}
		warnReclaim(p.Logger, proc.Config())
		ps.list = append(ps.list, proc)
		ps.runners = append(ps.runners, proc)
	}
	for _, cfg := range p.Config.partitionedConfigs(p.Logger) {
		cfg.Processor.Observer = combineObservers(cfg.Processor.Observer, p.Hooks)
		proc, err := redisstream.NewPartitionedProcessor(p.Redis, p.Dispatcher, cfg)
		if err != nil {
			return nil, fmt.Errorf("%w: partitioned stream %q: %w", ErrInvalidConfig, cfg.Stream.Name(), err)
		}
		warnReclaim(p.Logger, proc.Config().Processor)
		ps.partitioned = append(ps.partitioned, proc)
		ps.runners = append(ps.runners, newPartitionedRunner(proc))
	}
	p.Lifecycle.Append(fx.Hook{OnStart: ps.Start, OnStop: ps.Shutdown})
	return ps, nil
}

// warnReclaim warns when MinIdle is below twice ReclaimInterval: a live
// process refreshes the entries it handles once per ReclaimInterval, so
// with a shorter MinIdle another consumer may take over an entry whose
// handler still runs, and it runs twice.
func warnReclaim(log *zap.Logger, cfg redisstream.ProcessorConfig) {
	if cfg.MinIdle < 2*cfg.ReclaimInterval {
		log.Warn("streamfx: MinIdle is below twice ReclaimInterval: another consumer may reclaim, and run again, "+
			"an entry whose handler is still running; raise MinIdle or lower ReclaimInterval",
			append(runnerFields(cfg), zap.Duration("min_idle", cfg.MinIdle), zap.Duration("reclaim_interval", cfg.ReclaimInterval))...)
	}
}

// runner is the part of *redisstream.Processor that Processors drives.
type runner interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
	Done() <-chan struct{}
	Err() error
	Config() redisstream.ProcessorConfig
}

// retryServer is the part of *asynqretry.Server that Processors drives.
type retryServer interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
}

// retryStopGrace bounds the asynq server's shutdown when the stop context
// has already ended (see Processors.Shutdown).
const retryStopGrace = 2 * time.Second

// Processors runs the processors of the configured streams, and the asynq
// retry server of WithAsynqRetry. It is owned by Module, which starts and
// stops it with the app in one lifecycle hook; Start and Shutdown are
// exported for apps that drive it themselves.
type Processors struct {
	list        []*redisstream.Processor
	partitioned []*redisstream.PartitionedProcessor
	runners     []runner
	retry       retryServer // nil without WithAsynqRetry
	log         *zap.Logger
	shutdowner  fx.Shutdowner
	stop        chan struct{}
	stopOnce    sync.Once
	watchers    sync.WaitGroup
}

// All returns the processors, one per configured stream, in Config order.
func (ps *Processors) All() []*redisstream.Processor {
	return append([]*redisstream.Processor(nil), ps.list...)
}

// Partitioned returns the processors of the partitioned streams, one per
// Config.Partitioned entry, in Config order.
func (ps *Processors) Partitioned() []*redisstream.PartitionedProcessor {
	return append([]*redisstream.PartitionedProcessor(nil), ps.partitioned...)
}

// Start starts the asynq retry server, if any, then every processor: it
// creates the consumer groups and returns once consuming runs in the
// background. If one fails to start, what already started is shut down and
// the error names the stream. A processor that later stops on a fatal error
// shuts the app down through fx.Shutdowner with exit code 1.
func (ps *Processors) Start(ctx context.Context) error {
	if ps.retry != nil {
		if err := ps.retry.Start(ctx); err != nil {
			return fmt.Errorf("streamfx: start the asynq retry server: %w", err)
		}
	}
	for i, r := range ps.runners {
		if err := r.Start(ctx); err != nil {
			err = fmt.Errorf("streamfx: start %s: %w", describeRunner(r), err)
			return errors.Join(err, ps.shutdownAll(ctx, ps.runners[:i]), ps.stopRetry(ctx))
		}
		cfg := r.Config()
		ps.log.Info("streamfx: processor started", runnerFields(cfg)...)
		ps.watchers.Add(1)
		go ps.watch(r)
	}
	return nil
}

// watch shuts the app down when r stops on a fatal error outside Shutdown.
func (ps *Processors) watch(r runner) {
	defer ps.watchers.Done()
	select {
	case <-ps.stop:
		return
	case <-r.Done():
	}
	select {
	case <-ps.stop:
		return // stopped by Shutdown: not fatal
	default:
	}
	err := r.Err()
	if err == nil {
		return
	}
	fields := append(runnerFields(r.Config()), zap.Error(fmt.Errorf("%w: %w", ErrProcessorFailed, err)))
	ps.log.Error("streamfx: processor stopped on a fatal error; shutting the app down", fields...)
	if serr := ps.shutdowner.Shutdown(fx.ExitCode(1)); serr != nil {
		ps.log.Error("streamfx: cannot shut the app down", zap.Error(serr))
	}
}

// Shutdown stops every processor concurrently within ctx: reading stops,
// in-flight handlers finish and their messages are acknowledged. Then it
// stops the asynq retry server, if any, even when ctx has ended (fx runs no
// further stop hook after its stop timeout): with an ended ctx the server
// gets retryStopGrace (2s) to put its running tasks back in their queue. It
// returns ctx.Err() (wrapped) if some processors did not finish in time,
// after logging them at error level; their messages stay pending and are
// delivered again after MinIdle. It is idempotent.
func (ps *Processors) Shutdown(ctx context.Context) error {
	ps.stopOnce.Do(func() {
		close(ps.stop)
		ps.log.Info("streamfx: stopping processors", zap.Int("processors", len(ps.runners)))
	})
	err := ps.shutdownAll(ctx, ps.runners)
	ps.watchers.Wait()
	return errors.Join(err, ps.stopRetry(ctx))
}

// stopRetry shuts the asynq retry server down within ctx, or within
// retryStopGrace if ctx has already ended.
func (ps *Processors) stopRetry(ctx context.Context) error {
	if ps.retry == nil {
		return nil
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), retryStopGrace)
		defer cancel()
	}
	if err := ps.retry.Shutdown(ctx); err != nil {
		return fmt.Errorf("streamfx: stop the asynq retry server: %w", err)
	}
	ps.log.Info("streamfx: asynq retry server stopped")
	return nil
}

// shutdownAll shuts rs down concurrently and joins their errors.
func (ps *Processors) shutdownAll(ctx context.Context, rs []runner) error {
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			if err := r.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("streamfx: stop %s: %w", describeRunner(r), err)
				ps.log.Error("streamfx: stop timed out with handlers still running; their entries stay pending "+
					"and are delivered again after MinIdle", append(runnerFields(r.Config()), zap.Error(err))...)
				return
			}
			ps.log.Info("streamfx: processor stopped", runnerFields(r.Config())...)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func describeRunner(r runner) string {
	cfg := r.Config()
	return fmt.Sprintf("processor of streams %q (consumer group %q, consumer %q)", cfg.Streams, cfg.Group, cfg.Consumer)
}

func runnerFields(cfg redisstream.ProcessorConfig) []zap.Field {
	return []zap.Field{
		zap.String("stream", strings.Join(cfg.Streams, ",")),
		zap.String("consumer_group", cfg.Group),
		zap.String("consumer", cfg.Consumer),
	}
}
