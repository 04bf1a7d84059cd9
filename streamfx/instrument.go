package streamfx

import (
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/tracing"
)

// InstrumentationGroup names the value group through which WithMetrics and
// WithTracing hand their hooks to the module.
const InstrumentationGroup = "streamfx.instrumentation"

// Ranks order the route middleware of the instrumentations: the lowest is
// outermost, and the app's own middleware (AsMiddleware) is inside them all.
const (
	rankMetrics = iota
	rankTracing
)

// Instrumentation is what an observability option (WithMetrics,
// WithTracing) contributes to the module through the value group
// InstrumentationGroup: route middleware, observers for the processors and
// the asynq retry worker, a retry scheduler wrapper and a publisher fields
// hook. Its fields are set by those options only; the zero value adds
// nothing.
type Instrumentation struct {
	rank       int
	middleware dispatcher.RouteMiddleware
	observer   dispatcher.Observer
	fields     func(ctx context.Context, fields []string) []string
}

// instrumentationResult contributes one Instrumentation to the group.
type instrumentationResult struct {
	fx.Out

	Instrumentation Instrumentation `group:"streamfx.instrumentation"`
}

// WithMetrics is an opt-in companion of Module that exports Prometheus
// metrics (package dispatcher/metrics) on reg:
//
//	reg := prometheus.NewRegistry()
//	fx.New(streamfx.Module, streamfx.WithMetrics(reg), ...)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// It registers one metrics.Metrics (its "group" label is the consumer group
// of each message) and one metrics.LagCollector per consumer group of
// Config.Streams, installs the metrics middleware as the outermost route
// middleware, and observes the processors' outcomes and reclaims and, with
// WithAsynqRetry, the retries and dead letters of the retry side. opts are passed to metrics.New (for example
// metrics.WithBuckets). The metrics
// are unregistered from reg when the app stops, so reg may serve another
// app afterwards. Without streams it registers nothing. fx.New fails if
// reg is nil or refuses a metric (for example one already registered).
func WithMetrics(reg prometheus.Registerer, opts ...metrics.Option) fx.Option {
	if reg == nil {
		return fx.Error(ErrNilInstrument)
	}
	opts = slices.Clone(opts)
	return fx.Module("streamfx.metrics",
		fx.Provide(func(p metricsParams) (instrumentationResult, error) {
			return newMetricsInstrumentation(reg, opts, p)
		}),
	)
}

// WithTracing is an opt-in companion of Module that traces messages with
// OpenTelemetry (package dispatcher/tracing) through tp:
//
//	fx.New(streamfx.Module, streamfx.WithTracing(tp), ...)
//
// The provided Publisher stores the W3C trace context of the publishing
// context in every entry (fields traceparent and tracestate, ignored by the
// Python seed), and every route run gets a consumer span whose parent is
// that context. The tracing middleware sits inside the metrics middleware
// of WithMetrics and outside the app's own middleware. Nothing reads the
// global TracerProvider. fx.New fails if tp is nil.
func WithTracing(tp trace.TracerProvider) fx.Option {
	if tp == nil {
		return fx.Error(ErrNilInstrument)
	}
	return fx.Module("streamfx.tracing",
		fx.Provide(func() instrumentationResult {
			return instrumentationResult{Instrumentation: Instrumentation{
				rank:       rankTracing,
				middleware: tracing.Middleware(tp),
				fields:     tracing.AppendFields,
			}}
		}),
	)
}

// sortedInstrumentation returns ins ordered by rank: value groups are
// unordered, the middleware order is not.
func sortedInstrumentation(ins []Instrumentation) []Instrumentation {
	ins = slices.Clone(ins)
	slices.SortStableFunc(ins, func(a, b Instrumentation) int { return a.rank - b.rank })
	return ins
}

// withInstrumentMiddleware returns the instrumentation middleware, outermost
// first, followed by the app's middleware.
func withInstrumentMiddleware(ins []Instrumentation, app []dispatcher.RouteMiddleware) []dispatcher.RouteMiddleware {
	var out []dispatcher.RouteMiddleware
	for _, in := range sortedInstrumentation(ins) {
		if in.middleware != nil {
			out = append(out, in.middleware)
		}
	}
	if len(out) == 0 {
		return app
	}
	return append(out, app...)
}

// combineObservers combines app (may be nil) with the observers of ins; nil if
// there is none.
func combineObservers(app dispatcher.Observer, ins []Instrumentation) dispatcher.Observer {
	var obs observers
	if app != nil {
		obs = append(obs, app)
	}
	for _, in := range ins {
		if in.observer != nil {
			obs = append(obs, in.observer)
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

// publisherFields chains the fields hooks of ins; nil if there is none.
func publisherFields(ins []Instrumentation) func(context.Context, []string) []string {
	var hooks []func(context.Context, []string) []string
	for _, in := range sortedInstrumentation(ins) {
		if in.fields != nil {
			hooks = append(hooks, in.fields)
		}
	}
	switch len(hooks) {
	case 0:
		return nil
	case 1:
		return hooks[0]
	}
	return func(ctx context.Context, fields []string) []string {
		for _, h := range hooks {
			fields = h(ctx, fields)
		}
		return fields
	}
}
