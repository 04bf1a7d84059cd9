package streamfx

import (
	"context"
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// metricsParams are the dependencies of the WithMetrics constructor.
type metricsParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	Redis     redis.UniversalClient
	Config    Config
}

// metricsSet holds one metrics.Metrics per consumer group and routes each
// report to the Metrics of the message's stream.
type metricsSet struct {
	byGroup  map[string]*metrics.Metrics
	byStream map[string]*metrics.Metrics
	groups   []string // sorted
	def      *metrics.Metrics
}

var _ asynqretry.Observer = (*metricsSet)(nil)

// newMetricsInstrumentation registers the metrics and lag collectors of
// every consumer group of cfg on reg, unregisters them when the app stops,
// and returns the hooks that feed them.
func newMetricsInstrumentation(reg prometheus.Registerer, opts []metrics.Option, p metricsParams) (instrumentationResult, error) {
	streamsOf := map[string][]string{}
	for _, s := range p.Config.Streams {
		streamsOf[s.group()] = append(streamsOf[s.group()], s.Name)
	}
	if len(streamsOf) == 0 {
		return instrumentationResult{}, nil
	}
	set := &metricsSet{byGroup: map[string]*metrics.Metrics{}, byStream: map[string]*metrics.Metrics{}}
	var registered []prometheus.Collector
	unregister := func() {
		for _, m := range set.byGroup {
			m.Unregister(reg)
		}
		for _, c := range registered {
			reg.Unregister(c)
		}
	}
	for g, streams := range streamsOf {
		set.groups = append(set.groups, g)
		m, err := metrics.New(reg, append(slices.Clone(opts), metrics.WithGroup(g))...)
		if err != nil {
			unregister()
			return instrumentationResult{}, fmt.Errorf("streamfx: metrics of group %q: %w", g, err)
		}
		set.byGroup[g] = m
		for _, s := range streams {
			set.byStream[s] = m
		}
		lag, err := metrics.NewLagCollector(p.Redis, metrics.LagConfig{Group: g, Streams: streams})
		if err == nil {
			err = reg.Register(lag)
		}
		if err != nil {
			unregister()
			return instrumentationResult{}, fmt.Errorf("streamfx: lag collector of group %q: %w", g, err)
		}
		registered = append(registered, lag)
	}
	slices.Sort(set.groups)
	set.def = set.byGroup[set.groups[0]]
	p.Lifecycle.Append(fx.StopHook(unregister))
	return instrumentationResult{Instrumentation: Instrumentation{
		rank:       rankMetrics,
		middleware: set.middleware(),
		processor:  func(stream string) redisstream.Observer { return set.of(stream) },
		retry:      set.instrumentRetry,
		retryObs:   set,
	}}, nil
}

// of returns the Metrics of stream's consumer group (of the first group
// for a stream that is not consumed).
func (s *metricsSet) of(stream string) *metrics.Metrics {
	if m, ok := s.byStream[stream]; ok {
		return m
	}
	return s.def
}

// Retried counts a retry on the Metrics of msg's stream.
func (s *metricsSet) Retried(msg *dispatcher.Message, route string) {
	s.of(msg.Stream).Retried(msg, route)
}

// DeadLettered counts a dead letter on the Metrics of msg's stream.
func (s *metricsSet) DeadLettered(msg *dispatcher.Message, route string) {
	s.of(msg.Stream).DeadLettered(msg, route)
}

// middleware returns the metrics middleware. With several consumer groups,
// each route is wrapped once per group and each message runs through the
// wrapper of its stream's group.
func (s *metricsSet) middleware() dispatcher.RouteMiddleware {
	if len(s.groups) == 1 {
		return s.def.Middleware()
	}
	perGroup := make(map[*metrics.Metrics]dispatcher.RouteMiddleware, len(s.byGroup))
	for _, m := range s.byGroup {
		perGroup[m] = m.Middleware()
	}
	return func(r dispatcher.Route) dispatcher.Middleware {
		mws := make(map[*metrics.Metrics]dispatcher.Middleware, len(perGroup))
		for m, rm := range perGroup {
			mws[m] = rm(r)
		}
		return func(next dispatcher.Handler) dispatcher.Handler {
			hs := make(map[*metrics.Metrics]dispatcher.Handler, len(mws))
			for m, mw := range mws {
				hs[m] = mw(next)
			}
			return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
				return hs[s.of(msg.Stream)].Handle(ctx, msg)
			})
		}
	}
}

// instrumentRetry counts the retries next schedules on the Metrics of the
// message's stream.
func (s *metricsSet) instrumentRetry(next dispatcher.RetryScheduler) dispatcher.RetryScheduler {
	if len(s.groups) == 1 {
		return s.def.InstrumentRetry(next)
	}
	byMetrics := make(map[*metrics.Metrics]dispatcher.RetryScheduler, len(s.byGroup))
	for _, m := range s.byGroup {
		byMetrics[m] = m.InstrumentRetry(next)
	}
	return retryFunc(func(ctx context.Context, r dispatcher.RetryRequest) error {
		if r.Message == nil {
			return next.ScheduleRetry(ctx, r) // refused by next
		}
		return byMetrics[s.of(r.Message.Stream)].ScheduleRetry(ctx, r)
	})
}

// retryFunc adapts a function to dispatcher.RetryScheduler.
type retryFunc func(ctx context.Context, r dispatcher.RetryRequest) error

func (f retryFunc) ScheduleRetry(ctx context.Context, r dispatcher.RetryRequest) error {
	return f(ctx, r)
}
