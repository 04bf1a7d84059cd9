// Package payments is a feature module of the example app: it charges each
// booking through a sandbox Gateway that fx injects, retrying temporary
// failures and dead-lettering declined cards.
package payments

import (
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/streamfx"
)

// Module provides the sandbox Gateway and contributes the charge route.
var Module = fx.Module("payments",
	fx.Provide(
		fx.Annotate(NewSandboxGateway, fx.As(new(Gateway))),
		streamfx.AsRoute(NewChargeRoute),
	),
)
