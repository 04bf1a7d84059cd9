// Package fxmetrics is the opt-in companion of streamfx.Module that exports
// Prometheus metrics (package dispatcher/metrics). It lives apart from
// package streamfx so that an app without metrics does not link Prometheus.
package fxmetrics

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
)

// Module exports the metrics of streamfx.Module on reg:
//
//	reg := prometheus.NewRegistry()
//	fx.New(streamfx.Module, fxmetrics.Module(reg), ...)
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// It registers one metrics.Metrics (its "consumer_group" label is the consumer group
// that delivered each message) and one metrics.LagCollector per consumer
// group of the consumed streams, installs the metrics middleware as the
// outermost route middleware (and its batch middleware around the batches
// of batch routes: streamfx_batch_size, one handled or failed count per
// message), and observes the processors (outcomes, reclaims, retries in
// place, and the order gauges of processors with an OrderKey), the
// partitions of each partitioned stream's consumer (metrics.PartitionCollector:
// owned, unowned, rebalances, lease losses) and, with
// streamfx.WithAsynqRetry, the retry side (retries stored, dead letters
// written). opts are passed to metrics.New (for example
// metrics.WithBuckets). The metrics are unregistered from reg when the app
// stops, so reg may serve another app afterwards. Without streams it
// registers nothing. fx.New fails with metrics.ErrNilRegisterer if reg is
// nil, and with the registry's error if it refuses a metric (for example one
// already registered).
func Module(reg prometheus.Registerer, opts ...metrics.Option) fx.Option {
	if reg == nil {
		return fx.Error(fmt.Errorf("fxmetrics: %w", metrics.ErrNilRegisterer))
	}
	opts = slices.Clone(opts)
	return fx.Module("streamfx.metrics",
		fx.Provide(func(p params) (hook.Out, error) { return register(reg, opts, p) }),
		fx.Invoke(func(lc fx.Lifecycle, ps *streamfx.Processors) error { return registerPartitions(reg, lc, ps) }),
	)
}

// params are the dependencies of Module's constructor.
type params struct {
	fx.In

	Lifecycle fx.Lifecycle
	Redis     redis.UniversalClient
	Config    streamfx.Config
}

// register registers the metrics, and a lag collector per consumer group,
// on reg, unregisters them when the app stops, and returns the hook that
// feeds them.
func register(reg prometheus.Registerer, opts []metrics.Option, p params) (hook.Out, error) {
	streamsOf := map[string][]string{}
	for _, proc := range p.Config.Processors {
		g := cmp.Or(proc.Group, streamfx.DefaultConsumerGroup)
		streamsOf[g] = append(streamsOf[g], proc.Streams...)
	}
	for _, proc := range p.Config.Partitioned {
		g := cmp.Or(proc.Processor.Group, streamfx.DefaultConsumerGroup)
		streamsOf[g] = append(streamsOf[g], proc.Stream.Keys()...)
	}
	if len(streamsOf) == 0 {
		return hook.Out{}, nil
	}
	m, err := metrics.New(reg, opts...)
	if err != nil {
		return hook.Out{}, fmt.Errorf("fxmetrics: %w", err)
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
			return hook.Out{}, fmt.Errorf("fxmetrics: lag collector of consumer group %q: %w", g, err)
		}
		lags = append(lags, lag)
	}
	p.Lifecycle.Append(fx.StopHook(unregister))
	return hook.Out{Hook: hook.Hook{Rank: hook.RankMetrics, Middleware: m.Middleware(),
		Batch: m.BatchMiddleware(), Observer: m}}, nil
}

// registerPartitions registers a metrics.PartitionCollector for each
// partitioned stream's consumer on reg and unregisters them when the app
// stops.
func registerPartitions(reg prometheus.Registerer, lc fx.Lifecycle, ps *streamfx.Processors) error {
	var done []prometheus.Collector
	unregister := func() {
		for _, c := range done {
			reg.Unregister(c)
		}
	}
	for _, p := range ps.Partitioned() {
		c := metrics.NewPartitionCollector(p.Coordinator())
		if err := reg.Register(c); err != nil {
			unregister()
			return fmt.Errorf("fxmetrics: partition collector of %q: %w", p.Config().Stream.Name(), err)
		}
		done = append(done, c)
	}
	lc.Append(fx.StopHook(unregister))
	return nil
}
