package streamfx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// ProcessorsParams are the dependencies of NewProcessors.
type ProcessorsParams struct {
	fx.In

	Lifecycle  fx.Lifecycle
	Shutdowner fx.Shutdowner
	Redis      redis.UniversalClient
	Dispatcher *dispatcher.Dispatcher
	Config     Config
	Logger     *zap.Logger
	// RetryServer, when provided (WithAsynqRetry), is built first, so that
	// it starts before the processors and stops after them.
	RetryServer *asynqretry.Server `optional:"true"`
	// Instrumentation (WithMetrics) observes each processor.
	Instrumentation []Instrumentation `group:"streamfx.instrumentation"`
}

// ProcessorsResult is the result of NewProcessors.
type ProcessorsResult struct {
	fx.Out

	Processors *Processors
}

// NewProcessors validates the Config, builds one redisstream.Processor per
// configured stream and appends a lifecycle hook: OnStart creates the
// consumer groups and starts consuming without blocking; OnStop stops every
// processor within the stop context, letting in-flight handlers finish (what
// does not finish in time stays pending and is redelivered later).
//
// It fails with ErrInvalidConfig for a bad Config, ErrNoRoutes when streams
// are configured but no route is mounted, and ErrNoStreams when routes are
// mounted but no stream is configured.
func NewProcessors(p ProcessorsParams) (ProcessorsResult, error) {
	if err := p.Config.Validate(); err != nil {
		return ProcessorsResult{}, err
	}
	routes := len(p.Dispatcher.Routes())
	switch {
	case len(p.Config.Streams) > 0 && routes == 0:
		return ProcessorsResult{}, fmt.Errorf("%w: contribute routes with streamfx.AsRoute or streamfx.AsRouter", ErrNoRoutes)
	case len(p.Config.Streams) == 0 && routes > 0:
		return ProcessorsResult{}, fmt.Errorf("%w: %d routes are mounted but Config.Streams is empty "+
			"(set STREAMFX_STREAMS when loading the config from the environment)", ErrNoStreams, routes)
	}
	ps := &Processors{log: p.Logger, shutdowner: p.Shutdowner, stop: make(chan struct{})}
	for _, s := range p.Config.Streams {
		cfg := s.processorConfig(p.Logger)
		cfg.Observer = combineObservers(nil, p.Instrumentation)
		proc, err := redisstream.NewProcessor(p.Redis, p.Dispatcher, cfg)
		if err != nil {
			return ProcessorsResult{}, fmt.Errorf("%w: stream %q: %w", ErrInvalidConfig, s.Name, err)
		}
		ps.list = append(ps.list, proc)
		ps.runners = append(ps.runners, proc)
	}
	p.Lifecycle.Append(fx.Hook{OnStart: ps.Start, OnStop: ps.Shutdown})
	return ProcessorsResult{Processors: ps}, nil
}

// runner is the part of *redisstream.Processor that Processors drives.
type runner interface {
	Start(ctx context.Context) error
	Shutdown(ctx context.Context) error
	Done() <-chan struct{}
	Err() error
	Config() redisstream.ProcessorConfig
}

// Processors runs the processors of the configured streams. It is owned by
// Module, which starts and stops it with the app; Start and Shutdown are
// exported for apps that drive it themselves.
type Processors struct {
	list       []*redisstream.Processor
	runners    []runner
	log        *zap.Logger
	shutdowner fx.Shutdowner
	stop       chan struct{}
	stopOnce   sync.Once
	watchers   sync.WaitGroup
}

// All returns the processors, one per configured stream, in Config order.
func (ps *Processors) All() []*redisstream.Processor {
	return append([]*redisstream.Processor(nil), ps.list...)
}

// Start starts every processor: it creates the consumer groups and returns
// once consuming runs in the background. If one fails to start, those
// already started are shut down and the error names the stream. A processor
// that later stops on a fatal error shuts the app down through
// fx.Shutdowner with exit code 1.
func (ps *Processors) Start(ctx context.Context) error {
	for i, r := range ps.runners {
		if err := r.Start(ctx); err != nil {
			err = fmt.Errorf("streamfx: start %s: %w", describeRunner(r), err)
			return errors.Join(err, ps.shutdownAll(ctx, ps.runners[:i]))
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
// in-flight handlers finish and their messages are acknowledged. It returns
// ctx.Err() (wrapped) if some did not finish in time; their messages stay
// pending. It is idempotent.
func (ps *Processors) Shutdown(ctx context.Context) error {
	ps.stopOnce.Do(func() {
		close(ps.stop)
		ps.log.Info("streamfx: stopping processors", zap.Int("processors", len(ps.runners)))
	})
	err := ps.shutdownAll(ctx, ps.runners)
	ps.watchers.Wait()
	return err
}

// shutdownAll shuts rs down concurrently and joins their errors.
func (ps *Processors) shutdownAll(ctx context.Context, rs []runner) error {
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			if err := r.Shutdown(ctx); err != nil {
				errs[i] = fmt.Errorf("streamfx: stop %s: %w", describeRunner(r), err)
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
	return fmt.Sprintf("processor of streams %q (group %q, consumer %q)", cfg.Streams, cfg.Group, cfg.Consumer)
}

func runnerFields(cfg redisstream.ProcessorConfig) []zap.Field {
	return []zap.Field{
		zap.String("stream", strings.Join(cfg.Streams, ",")),
		zap.String("group", cfg.Group),
		zap.String("consumer", cfg.Consumer),
	}
}
