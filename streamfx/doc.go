// Package streamfx wires streamfx into an Uber fx application: a Module that
// provides the dispatcher, the stream processors and the publisher, value
// groups through which feature modules contribute routes, configuration
// from the environment, optional asynq retries, and graceful start and stop.
//
// # The smallest app
//
// Module requires three things it does not own: a redis.UniversalClient
// (never closed by the module), a *zap.Logger and a Config.
//
//	fx.New(
//		fx.Provide(
//			zap.NewProduction,
//			func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: "localhost:6379"}) },
//			func() (streamfx.Config, error) { return streamfx.ConfigFromEnv("STREAMFX") },
//		),
//		fx.WithLogger(func(log *zap.Logger) fxevent.Logger { return &fxevent.ZapLogger{Logger: log} }),
//		streamfx.Module,
//		emails.Module,
//	).Run()
//
// # Contributing routes
//
// A feature module provides routes with AsRoute and routers with AsRouter.
// Their constructors receive their dependencies from fx:
//
//	func NewWelcomeEmail(m Mailer) dispatcher.Route {
//		return dispatcher.Route{
//			Type: "user.registered", Name: "emails.welcome", Group: "emails",
//			Handler: dispatcher.Typed(func(ctx context.Context, _ *dispatcher.Message, u User) error {
//				return m.Send(ctx, u.Email, "Welcome!")
//			}),
//		}
//	}
//
//	var Module = fx.Module("emails",
//		fx.Provide(NewMailer, streamfx.AsRoute(NewWelcomeEmail), streamfx.AsRouter(NewBookingRouter)),
//	)
//
// AsRoute is a shorthand; the annotation written by hand works the same:
//
//	fx.Provide(fx.Annotate(NewWelcomeEmail, fx.ResultTags(streamfx.RouteTag))) // `group:"streamfx.routes"`
//	fx.Provide(fx.Annotate(NewBookingRouter, fx.ResultTags(streamfx.RouterTag)))
//
// or an fx.Out result object with a field tagged `group:"streamfx.routes"`
// (RouteTag).
//
// A route contributed alone must be named; routes inside a Router may be
// left unnamed ("<type>#<n>"), but named routes survive refactoring, which
// matters for retries scheduled by a previous build.
//
// # Route order
//
// fx value groups are unordered, so the dispatcher never depends on the order
// fx gives: each contribution (one route, or one router with its routes in
// their own order) is mounted in the order of the (Type, Name) of its routes.
// When several routes handle one type they all run, in that order; to fix
// the order of related routes, put them in one Router. Two routes with one
// name fail fx.New with ErrDuplicateRoute, naming both.
//
// # Middleware
//
// AsMiddleware gives the dispatcher its route middleware (for example
// dispatcher/middleware.Logging, which logs each run with stream, id, type,
// route and route_group, at a level that matches what happens next), as one
// ordered slice:
//
//	fx.Provide(streamfx.AsMiddleware(func(log *zap.Logger) []dispatcher.RouteMiddleware {
//		return []dispatcher.RouteMiddleware{middleware.Logging(log)}
//	}))
//
// # Split workers
//
// Config.RouteGroups mounts only the routes of some route groups
// (dispatcher.InGroup), and the routes without a group (mounted in every
// worker, as in the seed), so one binary runs as a monolith or as several
// workers. A partial worker must consume with its own consumer group:
// DefaultConsumerGroup ("monolith") is refused with
// ErrDefaultGroupInPartialWorker.
//
// # Environment
//
// ConfigFromEnv reads, with prefix STREAMFX: STREAMFX_STREAMS (comma
// separated), STREAMFX_CONSUMER_GROUP, STREAMFX_CONSUMER, STREAMFX_BATCH_SIZE,
// STREAMFX_CONCURRENCY, STREAMFX_BLOCK, STREAMFX_MIN_IDLE,
// STREAMFX_RECLAIM_INTERVAL (durations in Go syntax: 500ms, 2s),
// STREAMFX_MAX_DELIVERIES, STREAMFX_DEAD_LETTER_STREAM, STREAMFX_START_ID,
// STREAMFX_MAX_MESSAGE_BYTES, STREAMFX_ROUTE_GROUPS (comma separated),
// STREAMFX_DEAD_LETTER_UNROUTABLE (true/false), STREAMFX_PUBLISH_MAX_LEN,
// STREAMFX_PUBLISH_MIN_ID and STREAMFX_REPLY_TTL. Unset means default.
// STREAMFX_PARTITIONS=P (P > 0) makes every stream of STREAMFX_STREAMS a
// partitioned stream of P partitions (Config.Partitioned), each consumed by
// a redisstream.PartitionedProcessor with the settings above and the lease
// TTL STREAMFX_LEASE_TTL.
//
// # Retries
//
// Without a retry scheduler a failed message stays pending and the processor
// redelivers it after ProcessorConfig.MinIdle, up to MaxDeliveries, then
// dead-letters it. WithAsynqRetry instead retries each failed route alone
// through asynq, with backoff.
//
// # Observability
//
// Metrics and tracing are opt-in modules of their own packages, so that an
// app without them links neither Prometheus nor OpenTelemetry:
//
//	reg := prometheus.NewRegistry()
//	fx.New(streamfx.Module, fxmetrics.Module(reg), fxtracing.Module(tp), ...)
//
// fxmetrics.Module (package streamfx/fxmetrics) registers the metrics of
// package dispatcher/metrics on reg, with the consumer group as a label, and
// a lag collector per consumer group; the processors and the asynq retry
// side report to it. fxtracing.Module (package streamfx/fxtracing) makes the
// Publisher carry the W3C trace context in every entry and starts a consumer
// span per route run. The route middleware runs in this order, outermost
// first: metrics, tracing, then the app's (AsMiddleware). *Health, provided
// by Module, is an http.Handler for a readiness endpoint (consumer group
// exists, recent successful read).
//
// # Lifecycle
//
// One lifecycle hook runs everything. OnStart starts the asynq retry server
// (with WithAsynqRetry), then creates the consumer groups and starts
// consuming without blocking. OnStop stops the processors within fx's stop
// timeout (fx.StopTimeout, 15s by default), letting in-flight handlers
// finish and acknowledging them, then the asynq server. When the timeout
// ends first, the stop logs at error level each processor still running
// (its unfinished entries stay pending and are delivered again after
// MinIdle), still shuts the asynq server down, giving it 2s more to put its
// running tasks back in their queue, and returns the timeout error. A
// processor that stops on a fatal error (for a partitioned stream, the
// processor of any of its partitions) shuts the app down through
// fx.Shutdowner with exit code 1, after logging the error with the stream,
// consumer group and consumer. Delivery is at-least-once: handlers must be
// idempotent.
package streamfx
