package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

var _ redisstream.OrderObserver = (*Metrics)(nil)

// orderGauges are the gauges of the keys of ordered Processors
// (redisstream.ProcessorConfig.OrderKey), by consumer group and stream:
// each series adds up the Processors of its consumer group reading its
// stream in this process.
type orderGauges struct {
	keys    *prometheus.GaugeVec
	waiting *prometheus.GaugeVec
	longest *prometheus.GaugeVec

	mu   sync.Mutex
	held map[orderSeries]map[*redisstream.Processor]redisstream.OrderStats // only non-zero stats
}

// orderSeries names the series of one consumer group and stream.
type orderSeries struct{ group, stream string }

func newOrderGauges() *orderGauges {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help},
			[]string{labelGroup, labelStream})
	}
	return &orderGauges{
		keys: gauge("order_keys_active",
			"Keys of the ordered Processors of the consumer group with an entry held: running, waiting for their turn, or waiting for a retry in place."),
		waiting: gauge("order_entries_waiting",
			"Entries of the ordered Processors of the consumer group held behind an earlier entry of their key."),
		longest: gauge("order_longest_wait_seconds",
			"How long the longest waiting entry of the ordered Processors of the consumer group has waited for its key."),
		held: map[orderSeries]map[*redisstream.Processor]redisstream.OrderStats{},
	}
}

// ObserveOrder records what the ordered Processor p holds of stream for
// consumer group group, and sets the order gauges of that consumer group and
// stream over every ordered Processor of theirs observed by m: the keys held
// and the entries waiting for their key, summed, and the longest of their
// waits. A Processor reports at most every 100ms while its keys change or
// entries wait, and the zero OrderStats when it stops: from then on it
// counts for nothing.
func (m *Metrics) ObserveOrder(p *redisstream.Processor, group, stream string, s redisstream.OrderStats) {
	g := m.order
	series := orderSeries{group, stream}
	g.mu.Lock()
	defer g.mu.Unlock() // the gauges are set under the lock, so they never mix two reports
	byProc := g.held[series]
	switch {
	case s != redisstream.OrderStats{}:
		if byProc == nil {
			byProc = map[*redisstream.Processor]redisstream.OrderStats{}
			g.held[series] = byProc
		}
		byProc[p] = s
	case len(byProc) > 0:
		delete(byProc, p)
		if len(byProc) == 0 {
			delete(g.held, series)
		}
	}
	var total redisstream.OrderStats
	for _, ps := range byProc {
		total.Keys += ps.Keys
		total.Waiting += ps.Waiting
		total.LongestWait = max(total.LongestWait, ps.LongestWait)
	}
	g.keys.WithLabelValues(group, stream).Set(float64(total.Keys))
	g.waiting.WithLabelValues(group, stream).Set(float64(total.Waiting))
	g.longest.WithLabelValues(group, stream).Set(total.LongestWait.Seconds())
}
