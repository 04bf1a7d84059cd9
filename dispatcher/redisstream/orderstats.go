package redisstream

import "time"

// OrderStats describes the keys of one stream of an ordered Processor (see
// ProcessorConfig.OrderKey).
type OrderStats struct {
	// Keys counts the keys with an entry held: running, waiting for their
	// turn, or waiting for a retry in place.
	Keys int
	// Waiting counts the entries held behind an earlier entry of their key.
	Waiting int
	// LongestWait is how long the longest waiting of those has waited.
	LongestWait time.Duration
}

// OrderObserver is implemented by an Observer (ProcessorConfig.Observer)
// that also wants the state of the keys of an ordered Processor, such as
// *metrics.Metrics of package dispatcher/metrics. ObserveOrder is called
// with the OrderStats of each stream, on the scheduler's goroutine, at most
// every 100ms while the keys change or entries wait, and once with zeros at
// stop; it must be fast.
type OrderObserver interface {
	ObserveOrder(group, stream string, keys, waiting int, longestWait time.Duration)
}

// OrderStats returns the state of the keys of stream, refreshed at most
// every 100ms while the Processor runs. It is the zero OrderStats for a
// Processor that is not ordered, not running, or does not consume stream.
// It is safe for concurrent use.
func (p *Processor) OrderStats(stream string) OrderStats {
	p.mu.Lock()
	pl := p.pipe
	p.mu.Unlock()
	if pl == nil || pl.order == nil {
		return OrderStats{}
	}
	return orderStats((*pl.order.stats.Load())[stream], time.Now())
}

// orderStats converts s at now.
func orderStats(s keyedStats, now time.Time) OrderStats {
	o := OrderStats{Keys: s.Keys, Waiting: s.Waiting}
	if !s.Oldest.IsZero() {
		o.LongestWait = now.Sub(s.Oldest)
	}
	return o
}
