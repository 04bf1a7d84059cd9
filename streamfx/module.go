package streamfx

import (
	"fmt"
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
)

// Module provides *dispatcher.Dispatcher, *Processors,
// *redisstream.Publisher and *Health, and runs the processors with the app's
// lifecycle.
//
// It requires from the app a redis.UniversalClient (never closed by the
// module), a *zap.Logger and a Config. Routes come from the value groups
// fed by AsRoute and AsRouter (or RouteTag and RouterTag). Add
// WithAsynqRetry to retry failed routes with asynq, and the modules of
// streamfx/fxmetrics and streamfx/fxtracing to observe them.
var Module = fx.Module("streamfx",
	fx.Provide(newDispatcher, newProcessors, newPublisher, newHealth),
	fx.Invoke(func(*Processors) {}),
)

// dispatcherParams are the dependencies of newDispatcher.
type dispatcherParams struct {
	fx.In

	Config Config
	Logger *zap.Logger
	// Retry, when provided (WithAsynqRetry provides one), schedules failed
	// routes; without it failed messages stay pending and are reclaimed.
	Retry   dispatcher.RetryScheduler `optional:"true"`
	Routes  []dispatcher.Route        `group:"streamfx.routes"`
	Routers []*dispatcher.Router      `group:"streamfx.routers"`
	// Middleware, when provided (AsMiddleware), wraps every mounted route,
	// inside the hooks' middleware.
	Middleware []dispatcher.RouteMiddleware `name:"streamfx.middleware" optional:"true"`
	Hooks      []hook.Hook                  `group:"streamfx.hooks"`
}

// newDispatcher builds the Dispatcher and mounts every contributed route of
// the enabled route groups, in a fixed order (see orderRoutes).
//
// It fails, and so does fx.New, with ErrDuplicateRoute naming both routes
// when two contributed routes share a name (checked across every route
// group, enabled or not, so a monolith and its split workers agree), with
// ErrInvalidRoute for a route without a Type, Handler or Name, and with
// ErrUnknownGroup when Config.RouteGroups names a route group no route has.
func newDispatcher(p dispatcherParams) (*dispatcher.Dispatcher, error) {
	routes, err := orderRoutes(p.Routes, p.Routers)
	if err != nil {
		return nil, err
	}
	groups := routeGroups(routes)
	for _, g := range p.Config.RouteGroups {
		if !groups[g] {
			return nil, fmt.Errorf("%w: %q (Config.RouteGroups); route groups: %q",
				ErrUnknownGroup, g, slices.Sorted(maps.Keys(groups)))
		}
	}
	d := dispatcher.New(dispatcher.Config{
		Retry:                p.Retry,
		EnabledGroups:        p.Config.RouteGroups,
		DeadLetterUnroutable: p.Config.DeadLetterUnroutable,
		Idempotent:           p.Config.IdempotentRoutes,
		Middleware:           hookMiddleware(p.Hooks, p.Middleware),
		BatchMiddleware:      hookBatchMiddleware(p.Hooks),
	})
	if err := d.Add(routes...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRoute, err)
	}
	mounted := d.Routes()
	names := make([]string, len(mounted))
	for i, r := range mounted {
		names[i] = r.Name
	}
	p.Logger.Info("streamfx: routes mounted", zap.Strings("routes", names),
		zap.Int("contributed", len(routes)), zap.Strings("route_groups", p.Config.RouteGroups),
		zap.Bool("retry", p.Retry != nil))
	return d, nil
}

// publisherParams are the dependencies of newPublisher.
type publisherParams struct {
	fx.In

	Redis  redis.UniversalClient
	Config Config
	// Hooks (streamfx/fxtracing) add fields to every published entry
	// (redisstream.WithFields).
	Hooks []hook.Hook `group:"streamfx.hooks"`
}

// newPublisher builds the Publisher from Config.Publisher. The Redis client
// is shared, not closed.
func newPublisher(p publisherParams) *redisstream.Publisher {
	var opts []redisstream.PublisherOption
	if fields := publisherFields(p.Hooks); fields != nil {
		opts = append(opts, redisstream.WithFields(fields))
	}
	return redisstream.NewPublisher(p.Redis, p.Config.Publisher, opts...)
}
