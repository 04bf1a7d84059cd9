package streamfx

import (
	"context"
	"slices"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
)

// The hooks of the opt-in companions (streamfx/fxmetrics,
// streamfx/fxtracing) arrive through the value group hook.Group; these
// functions combine them.

// hookMiddleware returns the hooks' middleware, outermost (lowest rank)
// first, followed by the app's middleware. Value groups are unordered; the
// middleware order is not.
func hookMiddleware(hooks []hook.Hook, app []dispatcher.RouteMiddleware) []dispatcher.RouteMiddleware {
	var out []dispatcher.RouteMiddleware
	for _, h := range byRank(hooks) {
		if h.Middleware != nil {
			out = append(out, h.Middleware)
		}
	}
	if len(out) == 0 {
		return app
	}
	return append(out, app...)
}

// hookBatchMiddleware returns the hooks' batch middleware, outermost
// (lowest rank) first.
func hookBatchMiddleware(hooks []hook.Hook) []dispatcher.BatchMiddleware {
	var out []dispatcher.BatchMiddleware
	for _, h := range byRank(hooks) {
		if h.Batch != nil {
			out = append(out, h.Batch)
		}
	}
	return out
}

// byRank returns a copy of hooks ordered by Rank.
func byRank(hooks []hook.Hook) []hook.Hook {
	hooks = slices.Clone(hooks)
	slices.SortStableFunc(hooks, func(a, b hook.Hook) int { return a.Rank - b.Rank })
	return hooks
}

// combineObservers combines app (may be nil) with the hooks' observers; nil
// if there is none.
func combineObservers(app dispatcher.Observer, hooks []hook.Hook) dispatcher.Observer {
	var obs observers
	if app != nil {
		obs = append(obs, app)
	}
	for _, h := range hooks {
		if h.Observer != nil {
			obs = append(obs, h.Observer)
		}
	}
	switch len(obs) {
	case 0:
		return nil
	case 1:
		return obs[0]
	}
	return obs
}

// observers tells every Observer.
type observers []dispatcher.Observer

func (os observers) ObserveOutcome(msg *dispatcher.Message, o dispatcher.Outcome) {
	for _, ob := range os {
		ob.ObserveOutcome(msg, o)
	}
}

func (os observers) Retried(msg *dispatcher.Message, route string) {
	for _, ob := range os {
		ob.Retried(msg, route)
	}
}

func (os observers) DeadLettered(msg *dispatcher.Message, route string) {
	for _, ob := range os {
		ob.DeadLettered(msg, route)
	}
}

func (os observers) Reclaimed(group, stream string, n int) {
	for _, ob := range os {
		ob.Reclaimed(group, stream, n)
	}
}

// ObserveOrder tells the Observers that are redisstream.OrderObservers, so
// that combining observers keeps the order gauges of an ordered Processor.
func (os observers) ObserveOrder(p *redisstream.Processor, group, stream string, s redisstream.OrderStats) {
	for _, ob := range os {
		if oo, ok := ob.(redisstream.OrderObserver); ok {
			oo.ObserveOrder(p, group, stream, s)
		}
	}
}

// publisherFields chains the hooks' fields functions; nil if there is none.
func publisherFields(hooks []hook.Hook) func(context.Context, []string) []string {
	var fns []func(context.Context, []string) []string
	for _, h := range hooks {
		if h.Fields != nil {
			fns = append(fns, h.Fields)
		}
	}
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]
	}
	return func(ctx context.Context, fields []string) []string {
		for _, fn := range fns {
			fields = fn(ctx, fields)
		}
		return fields
	}
}
