package streamfx

import (
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher/metrics"
)

// metricsParams are the dependencies of the WithMetrics constructor.
type metricsParams struct {
	fx.In

	Lifecycle fx.Lifecycle
	Redis     redis.UniversalClient
	Config    Config
}

// newMetricsInstrumentation registers the metrics, and a lag collector per
// consumer group of cfg, on reg, unregisters them when the app stops, and
// returns the hooks that feed them.
func newMetricsInstrumentation(reg prometheus.Registerer, opts []metrics.Option, p metricsParams) (instrumentationResult, error) {
	streamsOf := map[string][]string{}
	for _, s := range p.Config.Streams {
		streamsOf[s.group()] = append(streamsOf[s.group()], s.Name)
	}
	if len(streamsOf) == 0 {
		return instrumentationResult{}, nil
	}
	m, err := metrics.New(reg, opts...)
	if err != nil {
		return instrumentationResult{}, fmt.Errorf("streamfx: metrics: %w", err)
	}
	var lags []prometheus.Collector
	unregister := func() {
		m.Unregister(reg)
		for _, c := range lags {
			reg.Unregister(c)
		}
	}
	for _, g := range slices.Sorted(maps.Keys(streamsOf)) {
		lag, err := metrics.NewLagCollector(p.Redis, metrics.LagConfig{Group: g, Streams: streamsOf[g]})
		if err == nil {
			err = reg.Register(lag)
		}
		if err != nil {
			unregister()
			return instrumentationResult{}, fmt.Errorf("streamfx: lag collector of group %q: %w", g, err)
		}
		lags = append(lags, lag)
	}
	p.Lifecycle.Append(fx.StopHook(unregister))
	return instrumentationResult{Instrumentation: Instrumentation{
		rank:       rankMetrics,
		middleware: m.Middleware(),
		observer:   m,
	}}, nil
}
