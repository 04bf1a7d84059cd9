package streamfx

import (
	"context"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
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
	processor  func(stream string) redisstream.Observer
	retry      func(dispatcher.RetryScheduler) dispatcher.RetryScheduler
	retryObs   asynqretry.Observer
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
// It registers one metrics.Metrics per consumer group of Config.Streams
// (the "group" label) and one metrics.LagCollector per group, installs the
// metrics middleware as the outermost route middleware, reports the
// processors' outcomes and reclaims, and, with WithAsynqRetry, counts the
// scheduled retries (metrics.InstrumentRetry) and the retry worker's
// retries and dead letters. opts are passed to metrics.New (for example
// metrics.WithBuckets); the group label is set by the module. The metrics
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

// processorObserver returns the Observer of the processor of stream, or
// nil.
func processorObserver(ins []Instrumentation, stream string) redisstream.Observer {
	var obs []redisstream.Observer
	for _, in := range ins {
		if in.processor != nil {
			if o := in.processor(stream); o != nil {
				obs = append(obs, o)
			}
		}
	}
	switch len(obs) {
	case 0:
		return nil
	case 1:
		return obs[0]
	}
	return processorObservers(obs)
}

// processorObservers tells every Observer.
type processorObservers []redisstream.Observer

func (os processorObservers) ObserveOutcome(msg *dispatcher.Message, o dispatcher.Outcome) {
	for _, ob := range os {
		ob.ObserveOutcome(msg, o)
	}
}

func (os processorObservers) Reclaimed(stream string, n int) {
	for _, ob := range os {
		ob.Reclaimed(stream, n)
	}
}

// retryObserver combines the app's asynqretry.Config.Observer (may be nil)
// with those of ins; nil if there is none.
func retryObserver(app asynqretry.Observer, ins []Instrumentation) asynqretry.Observer {
	var obs retryObservers
	if app != nil {
		obs = append(obs, app)
	}
	for _, in := range ins {
		if in.retryObs != nil {
			obs = append(obs, in.retryObs)
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

// retryObservers tells every Observer.
type retryObservers []asynqretry.Observer

func (os retryObservers) Retried(msg *dispatcher.Message, route string) {
	for _, ob := range os {
		ob.Retried(msg, route)
	}
}

func (os retryObservers) DeadLettered(msg *dispatcher.Message, route string) {
	for _, ob := range os {
		ob.DeadLettered(msg, route)
	}
}

// instrumentRetry wraps s with the retry wrappers of ins.
func instrumentRetry(s dispatcher.RetryScheduler, ins []Instrumentation) dispatcher.RetryScheduler {
	for _, in := range ins {
		if in.retry != nil {
			s = in.retry(s)
		}
	}
	return s
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
