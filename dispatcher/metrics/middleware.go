package metrics

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamfx/streamfx/dispatcher"
)

// Middleware returns the route middleware that counts handled and failed
// route runs and observes their duration. Install it in
// dispatcher.Config.Middleware; it also tells this Metrics which routes
// exist, so that the Observer methods can label outcomes. A panic counts as a
// failure and keeps propagating to the Dispatcher, which recovers it.
func (m *Metrics) Middleware() dispatcher.RouteMiddleware {
	return func(r dispatcher.Route) dispatcher.Middleware {
		m.remember(r.Name, r.Type)
		return func(next dispatcher.Handler) dispatcher.Handler {
			h := &routeHandler{m: m, eventType: r.Type, route: r.Name, next: next}
			h.bySource.Store(&map[source]*streamObservers{})
			return h
		}
	}
}

// routeHandler measures one mounted route.
type routeHandler struct {
	m         *Metrics
	eventType string
	route     string
	next      dispatcher.Handler

	mu       sync.Mutex // serialises additions to bySource
	bySource atomic.Pointer[map[source]*streamObservers]
}

// source is where a message came from: its consumer group and stream.
type source struct{ group, stream string }

// streamObservers are the series of one route for one source.
type streamObservers struct {
	handled  prometheus.Counter
	failed   prometheus.Counter
	duration prometheus.Observer
}

// Handle runs the route and records its result and duration.
func (h *routeHandler) Handle(ctx context.Context, msg *dispatcher.Message) error {
	obs := h.observers(source{msg.ConsumerGroup, msg.Stream})
	start := time.Now()
	failed := true // stays true if next panics
	defer func() {
		obs.duration.Observe(time.Since(start).Seconds())
		if failed {
			obs.failed.Inc()
		} else {
			obs.handled.Inc()
		}
	}()
	err := h.next.Handle(ctx, msg)
	failed = err != nil
	return err
}

// observers returns the series for src, creating them on first use. The
// map is copied on write, so the hot path is one lock-free lookup.
func (h *routeHandler) observers(src source) *streamObservers {
	if o, ok := (*h.bySource.Load())[src]; ok {
		return o
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.bySource.Load()
	if o, ok := old[src]; ok {
		return o
	}
	o := &streamObservers{
		handled:  h.m.handled.WithLabelValues(src.group, src.stream, h.eventType, h.route),
		failed:   h.m.failed.WithLabelValues(src.group, src.stream, h.eventType, h.route),
		duration: h.m.duration.WithLabelValues(src.group, src.stream, h.eventType, h.route),
	}
	next := maps.Clone(old)
	next[src] = o
	h.bySource.Store(&next)
	return o
}
