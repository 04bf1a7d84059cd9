package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

var _ redisstream.OrderObserver = (*Metrics)(nil)

// orderGauges are the gauges of the keys of ordered Processors
// (redisstream.ProcessorConfig.OrderKey), by consumer group and stream.
type orderGauges struct {
	keys    *prometheus.GaugeVec
	waiting *prometheus.GaugeVec
	longest *prometheus.GaugeVec
}

func newOrderGauges() orderGauges {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help},
			[]string{labelGroup, labelStream})
	}
	return orderGauges{
		keys: gauge("order_keys_active",
			"Keys of an ordered Processor with an entry held: running, waiting for its turn, or waiting for a retry in place."),
		waiting: gauge("order_entries_waiting", "Entries of an ordered Processor held behind an earlier entry of their key."),
		longest: gauge("order_longest_wait_seconds",
			"How long the longest waiting entry of an ordered Processor has waited for its key."),
	}
}

// ObserveOrder sets the order gauges of stream for consumer group group:
// the keys held, the entries waiting for their key, and the longest of
// those waits. An ordered Processor whose Observer is this Metrics calls it
// at most every 100ms while its keys change or entries wait, and with zeros
// when it stops. Two ordered Processors of one group reading one stream in
// the same process share the series: the last report wins.
func (m *Metrics) ObserveOrder(group, stream string, keys, waiting int, longestWait time.Duration) {
	m.order.keys.WithLabelValues(group, stream).Set(float64(keys))
	m.order.waiting.WithLabelValues(group, stream).Set(float64(waiting))
	m.order.longest.WithLabelValues(group, stream).Set(longestWait.Seconds())
}
