package metrics

import (
	"context"
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
			h.byStream.Store(&map[string]*streamObservers{})
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

	mu       sync.Mutex // serialises additions to byStream
	byStream atomic.Pointer[map[string]*streamObservers]
}

// streamObservers are the series of one route for one stream.
type streamObservers struct {
	handled  prometheus.Counter
	failed   prometheus.Counter
	duration prometheus.Observer
}

// Handle runs the route and records its result and duration.
func (h *routeHandler) Handle(ctx context.Context, msg *dispatcher.Message) error {
	obs := h.observers(msg.Stream)
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

// observers returns the series for stream, creating them on first use. The
// map is copied on write, so the hot path is one lock-free lookup.
func (h *routeHandler) observers(stream string) *streamObservers {
	if o, ok := (*h.byStream.Load())[stream]; ok {
		return o
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.byStream.Load()
	if o, ok := old[stream]; ok {
		return o
	}
	o := &streamObservers{
		handled:  h.m.handled.WithLabelValues(stream, h.eventType, h.route),
		failed:   h.m.failed.WithLabelValues(stream, h.eventType, h.route),
		duration: h.m.duration.WithLabelValues(stream, h.eventType, h.route),
	}
	next := make(map[string]*streamObservers, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[stream] = o
	h.byStream.Store(&next)
	return o
}
