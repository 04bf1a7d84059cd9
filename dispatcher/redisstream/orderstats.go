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
// that also wants the state of the keys of ordered Processors, such as
// *metrics.Metrics of package dispatcher/metrics. ObserveOrder is called by
// the ordered Processor p, for consumer group group, with the OrderStats s
// of each of its streams, on p's scheduler goroutine, at most every 100ms
// while the keys change or entries wait, and once with the zero OrderStats
// when p stops; it must be fast and safe for concurrent use (Processors
// sharing the Observer call it from their own goroutines).
//
// Each call replaces what p said earlier of stream. Several Processors of
// one consumer group may read one stream in one process: each reports its
// own keys, told apart by p; the zero OrderStats means p holds nothing of
// stream (idle, or stopped).
type OrderObserver interface {
	ObserveOrder(p *Processor, group, stream string, s OrderStats)
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
