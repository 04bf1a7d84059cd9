package streamfx

import (
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// Module provides *dispatcher.Dispatcher, *Processors,
// *redisstream.Publisher and *Health, and runs the processors with the app's
// lifecycle.
//
// It requires from the app a redis.UniversalClient (never closed by the
// module), a *zap.Logger and a Config. Routes come from the value groups
// RoutesGroup and RoutersGroup (see AsRoute and AsRouter). Add
// WithAsynqRetry to retry failed routes with asynq, WithMetrics and
// WithTracing to observe them.
var Module = fx.Module("streamfx",
	fx.Provide(NewDispatcher, NewProcessors, NewPublisher, NewHealth),
	fx.Invoke(func(*Processors) {}),
)

// DispatcherParams are the dependencies of NewDispatcher.
type DispatcherParams struct {
	fx.In

	Config Config
	Logger *zap.Logger
	// Retry, when provided (WithAsynqRetry provides one), schedules failed
	// routes; without it failed messages stay pending and are reclaimed.
	Retry dispatcher.RetryScheduler `optional:"true"`
	// Routes are the routes contributed with AsRoute or RouteTag.
	Routes []dispatcher.Route `group:"streamfx.routes"`
	// Routers are the routers contributed with AsRouter or RouterTag.
	Routers []*dispatcher.Router `group:"streamfx.routers"`
	// Middleware, when provided (AsMiddleware), wraps every mounted route.
	Middleware []dispatcher.RouteMiddleware `name:"streamfx.middleware" optional:"true"`
	// Instrumentation (WithMetrics, WithTracing) adds its middleware
	// outside Middleware: metrics outermost, then tracing.
	Instrumentation []Instrumentation `group:"streamfx.instrumentation"`
}

// DispatcherResult is the result of NewDispatcher.
type DispatcherResult struct {
	fx.Out

	Dispatcher *dispatcher.Dispatcher
}

// NewDispatcher builds the Dispatcher and mounts every contributed route
// of the enabled groups.
//
// Value groups are unordered, so the routes are mounted in a fixed order:
// each contribution, a single route or a whole router, is ordered by the
// (Type, Name) of its routes; a router's routes keep their order. When
// several routes handle one type they run in that order; to control it, put
// them in one Router.
//
// It fails, and so does fx.New, with ErrDuplicateRoute naming both routes
// when two contributed routes share a name (checked across every group,
// enabled or not, so a monolith and its split workers agree), with
// ErrInvalidRoute for a route without a Type, Handler or Name, and with
// ErrUnknownGroup when Config.EnabledGroups names a group no route has.
func NewDispatcher(p DispatcherParams) (DispatcherResult, error) {
	routes, err := orderRoutes(p.Routes, p.Routers)
	if err != nil {
		return DispatcherResult{}, err
	}
	groups := routeGroups(routes)
	for _, g := range p.Config.EnabledGroups {
		if !groups[g] {
			known := make([]string, 0, len(groups))
			for k := range groups {
				known = append(known, k)
			}
			slices.Sort(known)
			return DispatcherResult{}, fmt.Errorf("%w: %q (Config.EnabledGroups); route groups: %q",
				ErrUnknownGroup, g, known)
		}
	}
	d := dispatcher.New(dispatcher.Config{
		Retry:                p.Retry,
		EnabledGroups:        p.Config.EnabledGroups,
		DeadLetterUnroutable: p.Config.DeadLetterUnroutable,
		Middleware:           withInstrumentMiddleware(p.Instrumentation, p.Middleware),
	})
	if err := d.Add(routes...); err != nil {
		return DispatcherResult{}, fmt.Errorf("%w: %w", ErrInvalidRoute, err)
	}
	mounted := d.Routes()
	names := make([]string, len(mounted))
	for i, r := range mounted {
		names[i] = r.Name
	}
	p.Logger.Info("streamfx: routes mounted", zap.Strings("routes", names),
		zap.Int("contributed", len(routes)), zap.Strings("enabled_groups", p.Config.EnabledGroups),
		zap.Bool("retry", p.Retry != nil))
	return DispatcherResult{Dispatcher: d}, nil
}

// PublisherParams are the dependencies of NewPublisher.
type PublisherParams struct {
	fx.In

	Redis  redis.UniversalClient
	Config Config
	// Instrumentation (WithTracing) adds fields to every published entry
	// (redisstream.WithFields).
	Instrumentation []Instrumentation `group:"streamfx.instrumentation"`
}

// PublisherResult is the result of NewPublisher.
type PublisherResult struct {
	fx.Out

	Publisher *redisstream.Publisher
}

// NewPublisher builds the Publisher from Config.Publisher. The Redis client
// is shared, not closed.
func NewPublisher(p PublisherParams) PublisherResult {
	var opts []redisstream.PublisherOption
	if hook := publisherFields(p.Instrumentation); hook != nil {
		opts = append(opts, redisstream.WithFields(hook))
	}
	return PublisherResult{Publisher: redisstream.NewPublisher(p.Redis, p.Config.Publisher, opts...)}
}
