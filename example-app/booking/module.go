// Package booking is a feature module of the example app: it stores booking
// requests in a repository, confirms them when they are paid, and answers
// price quotes over request/reply.
package booking

import (
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/streamfx"
)

// Module provides the in-memory Repository and contributes the booking
// routes to streamfx as one Router (its routes keep their order).
var Module = fx.Module("booking",
	fx.Provide(
		fx.Annotate(NewMemoryRepository, fx.As(new(Repository))),
		streamfx.AsRouter(NewRouter),
	),
)
