package metrics

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes the name of every metric of this package.
const Namespace = "streamfx"

// Label names.
const (
	labelGroup  = "consumer_group"
	labelStream = "stream"
	labelType   = "type"
	labelRoute  = "route"
	labelReason = "reason"
)

// unknown replaces a type or route name that this Metrics never saw mounted.
const unknown = "unknown"

// Metrics holds the counters and the histogram of a process, every consumer
// group in one set: the "consumer_group" label is the consumer group that delivered
// the message (dispatcher.Message.ConsumerGroup). Its methods are safe for
// concurrent use. Create it with New.
type Metrics struct {
	handled    *prometheus.CounterVec
	failed     *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	retried    *prometheus.CounterVec
	dead       *prometheus.CounterVec
	unroutable *prometheus.CounterVec
	reclaimed  *prometheus.CounterVec
	batchSize  *prometheus.HistogramVec
	skipped    *prometheus.CounterVec
	order      *orderGauges

	mu     sync.RWMutex
	routes map[string]string // mounted route name -> its event type
}

// New creates the metrics and registers them on reg. It returns
// ErrNilRegisterer for a nil reg, and the registry's error (for example a
// prometheus.AlreadyRegisteredError when a Metrics is already registered on
// reg);
// then nothing stays registered.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	if reg == nil {
		return nil, ErrNilRegisterer
	}
	var o options
	for _, opt := range opts {
		if opt == nil {
			panic("metrics: nil Option passed to New")
		}
		opt.apply(&o)
	}
	if len(o.buckets) == 0 {
		o.buckets = prometheus.DefBuckets
	}
	m := newMetrics(o.buckets)
	if err := m.register(reg); err != nil {
		return nil, err
	}
	return m, nil
}

func newMetrics(buckets []float64) *Metrics {
	routeLabels := []string{labelGroup, labelStream, labelType, labelRoute}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	return &Metrics{
		handled: counter("messages_handled_total", "Route runs that returned nil.", routeLabels),
		failed:  counter("messages_failed_total", "Route runs that returned an error or panicked.", routeLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "handler_duration_seconds",
			Help:    "Duration of one route run, middleware inside the metrics middleware included.",
			Buckets: buckets,
		}, routeLabels),
		retried:    counter("messages_retried_total", "Failed route runs that will run again (retry scheduled or entry left pending).", routeLabels),
		dead:       counter("messages_dead_lettered_total", "Route failures written to a dead-letter stream.", routeLabels),
		unroutable: counter("messages_unroutable_total", "Stream entries no route could take.", []string{labelGroup, labelStream, labelReason}),
		reclaimed:  counter("messages_reclaimed_total", "Pending entries reclaimed from idle consumers.", []string{labelGroup, labelStream}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "batch_size",
			Help:    "Messages per call of a batch route.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 to 1024
		}, routeLabels),
		skipped: counter("route_runs_skipped_total", "Idempotent route runs skipped because the route had completed for the message before.",
			[]string{labelGroup, labelStream, labelType}),
		order:  newOrderGauges(),
		routes: map[string]string{},
	}
}

// register registers every collector, or none.
func (m *Metrics) register(reg prometheus.Registerer) error {
	cs := m.collectors()
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return fmt.Errorf("metrics: register: %w (one Metrics per registry)", err)
			}
			return fmt.Errorf("metrics: register: %w", err)
		}
	}
	return nil
}

// Unregister removes the metrics from reg (the registerer given to New), for
// example when the component that owned them is torn down.
func (m *Metrics) Unregister(reg prometheus.Registerer) {
	for _, c := range m.collectors() {
		reg.Unregister(c)
	}
}

// collectors returns every collector of m.
func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.handled, m.failed, m.duration, m.retried, m.dead, m.unroutable, m.reclaimed,
		m.batchSize, m.skipped, m.order.keys, m.order.waiting, m.order.longest}
}

// remember records a mounted route so that outcomes can be labelled with its
// registered type.
func (m *Metrics) remember(name, eventType string) {
	m.mu.Lock()
	m.routes[name] = eventType
	m.mu.Unlock()
}

// routeLabels returns the type and route labels of a route name: the
// registered type, or "unknown" for a route never mounted with Middleware.
func (m *Metrics) routeLabels(name string) (eventType, route string) {
	if name == "" {
		return unknown, ""
	}
	m.mu.RLock()
	t, ok := m.routes[name]
	m.mu.RUnlock()
	if !ok {
		return unknown, unknown
	}
	return t, name
}
