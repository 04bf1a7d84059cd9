package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// defaultLagTimeout bounds one collection when LagConfig.Timeout is zero.
const defaultLagTimeout = 2 * time.Second

// LagConfig configures a LagCollector.
type LagConfig struct {
	// Group is the consumer group to report. Required. It is the value of
	// the constant "consumer_group" label.
	Group string
	// Streams are the streams the group reads. Required, at least one.
	Streams []string
	// Timeout bounds the Redis round trip of one collection. If zero, 2s.
	// Keep it below the Prometheus scrape timeout.
	Timeout time.Duration
}

// withDefaults returns cfg with its zero values replaced by the defaults.
func (cfg LagConfig) withDefaults() LagConfig {
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultLagTimeout
	}
	cfg.Streams = append([]string(nil), cfg.Streams...)
	return cfg
}

// LagCollector is a prometheus.Collector that reports the lag and pending
// count of one consumer group on each of its streams. It samples Redis at
// scrape time: every Collect sends one pipelined XINFO GROUPS per stream,
// bounded by LagConfig.Timeout, so the values are as fresh as the scrape and
// no goroutine runs between scrapes. It is safe for concurrent scrapes.
//
// For each stream it reports streamfx_group_up (1 when Redis answered and the
// group exists, else 0, with no other sample for that stream),
// streamfx_group_pending (entries delivered and not yet acknowledged, the
// XPENDING count) and streamfx_group_lag (entries not yet delivered to the
// group). Redis cannot always compute the lag (for example after XDEL of
// entries the group has not read): then streamfx_group_lag is omitted for
// that stream rather than reported wrongly. Lag needs Redis 7.0 or later.
//
// The client is shared and never closed by the collector.
type LagCollector struct {
	rdb     redis.UniversalClient
	cfg     LagConfig
	lag     *prometheus.Desc
	pending *prometheus.Desc
	up      *prometheus.Desc
}

var _ prometheus.Collector = (*LagCollector)(nil)

// NewLagCollector returns a collector for cfg.Group on cfg.Streams; register
// it with reg.MustRegister or reg.Register. It returns an error wrapping
// ErrInvalidConfig for a nil client, an empty group or no stream. Collectors
// for different groups can share a registry.
func NewLagCollector(rdb redis.UniversalClient, cfg LagConfig) (*LagCollector, error) {
	switch {
	case rdb == nil:
		return nil, fmt.Errorf("%w: nil redis client", ErrInvalidConfig)
	case cfg.Group == "":
		return nil, fmt.Errorf("%w: empty consumer group", ErrInvalidConfig)
	case len(cfg.Streams) == 0:
		return nil, fmt.Errorf("%w: no stream", ErrInvalidConfig)
	}
	for _, s := range cfg.Streams {
		if s == "" {
			return nil, fmt.Errorf("%w: empty stream name", ErrInvalidConfig)
		}
	}
	cfg = cfg.withDefaults()
	constLabels := prometheus.Labels{labelGroup: cfg.Group}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "group", name), help,
			[]string{labelStream}, constLabels)
	}
	return &LagCollector{
		rdb:     rdb,
		cfg:     cfg,
		lag:     desc("lag", "Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag)."),
		pending: desc("pending", "Entries delivered to the consumer group and not yet acknowledged (XINFO GROUPS pending)."),
		up:      desc("up", "1 if XINFO GROUPS answered and the consumer group exists on the stream, else 0."),
	}, nil
}

// Describe sends the descriptors of the three gauges.
func (c *LagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.pending
	ch <- c.up
}

// Collect queries Redis and sends the current values.
func (c *LagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	cmds := make([]*redis.XInfoGroupsCmd, len(c.cfg.Streams))
	// Exec's error repeats the first failed command's; each is read below.
	_, _ = c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, s := range c.cfg.Streams {
			cmds[i] = p.XInfoGroups(ctx, s)
		}
		return nil
	})
	for i, s := range c.cfg.Streams {
		g, ok := findGroup(cmds[i], c.cfg.Group)
		if !ok {
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, s)
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, s)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(g.Pending), s)
		if g.Lag >= 0 {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(g.Lag), s)
		}
	}
}

// findGroup returns the group named name from an XINFO GROUPS reply.
func findGroup(cmd *redis.XInfoGroupsCmd, name string) (redis.XInfoGroup, bool) {
	groups, err := cmd.Result()
	if err != nil {
		return redis.XInfoGroup{}, false
	}
	for _, g := range groups {
		if g.Name == name {
			return g, true
		}
	}
	return redis.XInfoGroup{}, false
}
