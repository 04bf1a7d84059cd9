// Package hook is how the optional companions of package streamfx
// (streamfx/fxmetrics, streamfx/fxtracing) hand their code to the module
// through an fx value group, without streamfx importing them, so that an app
// that uses neither links neither Prometheus nor OpenTelemetry.
package hook

import (
	"context"

	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher"
)

// Ranks order the route middleware of the hooks: the lowest is outermost,
// and the app's own middleware (streamfx.AsMiddleware) is inside them all.
const (
	// RankMetrics is the rank of streamfx/fxmetrics: outermost.
	RankMetrics = iota
	// RankTracing is the rank of streamfx/fxtracing.
	RankTracing
)

// Hook is what one companion contributes; every field is optional.
type Hook struct {
	// Rank orders Middleware (see RankMetrics).
	Rank int
	// Middleware wraps every mounted route.
	Middleware dispatcher.RouteMiddleware
	// Batch wraps every mounted batch route's batches
	// (dispatcher.Config.BatchMiddleware), ordered by Rank too.
	Batch dispatcher.BatchMiddleware
	// Observer observes the processors and the asynq retry side.
	Observer dispatcher.Observer
	// Fields is applied to the fields of every published entry
	// (redisstream.WithFields).
	Fields func(ctx context.Context, fields []string) []string
}

// Group is the value group of the Hooks; a parameter struct of the module
// receives them in a field tagged `group:"streamfx.hooks"`.
const Group = "streamfx.hooks"

// Out contributes one Hook to the module's value group.
type Out struct {
	fx.Out

	Hook Hook `group:"streamfx.hooks"`
}
