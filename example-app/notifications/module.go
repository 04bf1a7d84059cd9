// Package notifications is a feature module of the example app: one Notifier
// handler, fanned out to several routes, emails guests through a Mailer that
// fx injects (here one that only logs what it would send).
package notifications

import (
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/streamfx"
)

// Module provides the Mailer and the Notifier and contributes three routes:
// two with the streamfx.AsRoute one-liner, one with the fx annotation that
// AsRoute stands for.
var Module = fx.Module("notifications",
	fx.Provide(
		fx.Annotate(NewLogMailer, fx.As(new(Mailer))),
		NewNotifier,
		streamfx.AsRoute(NewRequestedRoute),
		streamfx.AsRoute(NewConfirmedRoute),
		fx.Annotate(NewNewsletterRoute, fx.ResultTags(`group:"streamfx.routes"`)), // streamfx.RouteTag
	),
)
