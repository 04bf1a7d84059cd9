package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// labelConsumer labels the partition metrics with the consumer's name.
const labelConsumer = "consumer"

// PartitionCollector is a prometheus.Collector that reports the partition
// ownership of one consumer of a partitioned stream, from its
// partition.Coordinator's Status at scrape time (no Redis round trip):
//   - streamfx_partitions_owned: the partitions this consumer holds;
//   - streamfx_partitions_unowned: the partitions no consumer held at its
//     last check (a lasting non-zero value means partitions nobody reads);
//   - streamfx_partition_rebalances_total: the times its partitions changed;
//   - streamfx_partition_lease_losses_total: the leases it lost (expired or
//     taken while it held them).
//
// Each carries the constant labels stream (the logical name), consumer_group and
// consumer, so the collectors of several consumers can share a registry.
type PartitionCollector struct {
	c                              *partition.Coordinator
	owned, unowned, rebals, losses *prometheus.Desc
}

var _ prometheus.Collector = (*PartitionCollector)(nil)

// NewPartitionCollector returns a collector for c; register it with
// reg.MustRegister or reg.Register. It panics if c is nil.
func NewPartitionCollector(c *partition.Coordinator) *PartitionCollector {
	if c == nil {
		panic("metrics: nil Coordinator passed to NewPartitionCollector")
	}
	cfg := c.Config()
	labels := prometheus.Labels{labelStream: cfg.Stream.Name(), labelGroup: cfg.Group, labelConsumer: cfg.Consumer}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, nil, labels)
	}
	return &PartitionCollector{
		c:       c,
		owned:   desc("streamfx_partitions_owned", "Partitions of the stream this consumer holds."),
		unowned: desc("streamfx_partitions_unowned", "Partitions of the stream no consumer held at this consumer's last check."),
		rebals:  desc("streamfx_partition_rebalances_total", "Times this consumer's partitions changed."),
		losses:  desc("streamfx_partition_lease_losses_total", "Partition leases this consumer lost while holding them."),
	}
}

// Describe sends the four descriptors.
func (p *PartitionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.owned
	ch <- p.unowned
	ch <- p.rebals
	ch <- p.losses
}

// Collect sends the values of the Coordinator's Status.
func (p *PartitionCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.c.Status()
	ch <- prometheus.MustNewConstMetric(p.owned, prometheus.GaugeValue, float64(len(s.Owned)))
	ch <- prometheus.MustNewConstMetric(p.unowned, prometheus.GaugeValue, float64(len(s.Unowned)))
	ch <- prometheus.MustNewConstMetric(p.rebals, prometheus.CounterValue, float64(s.Rebalances))
	ch <- prometheus.MustNewConstMetric(p.losses, prometheus.CounterValue, float64(s.LeaseLosses))
}
