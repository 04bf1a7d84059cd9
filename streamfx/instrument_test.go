package streamfx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/tracing"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/fxmetrics"
	"github.com/streamfx/streamfx/streamfx/fxtracing"
)

// goodRoute handles "order.paid" and always succeeds.
func goodRoute() dispatcher.Route {
	return dispatcher.Route{Type: "order.paid", Name: "orders.good", Handler: dispatcher.HandlerFunc(
		func(context.Context, *dispatcher.Message) error { return nil })}
}

// poisonRoute handles "order.poison" and fails with fail's error.
func poisonRoute(fail func(attempt int) error) func() dispatcher.Route {
	return func() dispatcher.Route {
		return dispatcher.Route{Type: "order.poison", Name: "orders.poison", Handler: dispatcher.HandlerFunc(
			func(_ context.Context, m *dispatcher.Message) error { return fail(m.Attempt) })}
	}
}

// metricValue sums the samples of the counter or gauge name whose labels
// include want.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metric
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestFxMetricsCountsOutcomes publishes 3 good and 1 poison message and
// checks the registry: 3 handled, 1 dead-lettered, and the failed, retried
// and reclaimed counts of each failure path (permanent error, redelivery
// until MaxDeliveries, asynq retries); the lag collector reports the group;
// the metrics leave the registry when the app stops.
func TestFxMetricsCountsOutcomes(t *testing.T) {
	t.Parallel()
	always := func(int) error { return errors.New("poisoned") }
	tests := []struct {
		name          string
		fail          func(int) error
		asynq         bool
		wantFailed    float64
		wantRetried   float64
		wantReclaimed bool
	}{
		{name: "permanent", fail: func(int) error { return dispatcher.Permanent(errors.New("poisoned")) }, wantFailed: 1},
		{name: "redelivered until MaxDeliveries", fail: always, wantFailed: 2, wantRetried: 1, wantReclaimed: true},
		{name: "asynq retries", fail: always, asynq: true, wantFailed: 2, wantRetried: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rdb := startRedis(t)
			reg := prometheus.NewRegistry()
			s := fastStream("orders", "workers")
			s.MaxDeliveries = 2
			opts := []fx.Option{baseOptions(t, rdb, streamfx.Config{Processors: []redisstream.ProcessorConfig{s}}, nil),
				streamfx.Module, fxmetrics.Module(reg),
				fx.Provide(streamfx.AsRoute(goodRoute), streamfx.AsRoute(poisonRoute(tt.fail)))}
			if tt.asynq {
				opts = append(opts, streamfx.WithAsynqRetry(fastRetry(2)))
			}
			var pub *redisstream.Publisher
			app := fxtest.New(t, append(opts, fx.Populate(&pub))...)
			app.RequireStart()
			publishGoodAndPoison(t, pub)
			poison := map[string]string{"consumer_group": "workers", "stream": "orders", "route": "orders.poison"}
			eventually(t, "3 handled and 1 dead-lettered", func() bool {
				return metricValue(t, reg, "streamfx_messages_handled_total", nil) == 3 &&
					metricValue(t, reg, "streamfx_messages_dead_lettered_total", poison) == 1
			})
			eventually(t, "the entries acknowledged", func() bool { return pending(t, rdb, "orders", "workers") == 0 })
			if err := testutil.GatherAndCompare(reg, strings.NewReader(wantScrape), "streamfx_messages_handled_total",
				"streamfx_messages_dead_lettered_total", "streamfx_group_up", "streamfx_group_pending", "streamfx_group_lag"); err != nil {
				t.Error(err)
			}
			for name, want := range map[string]float64{"failed": tt.wantFailed, "retried": tt.wantRetried} {
				if got := metricValue(t, reg, "streamfx_messages_"+name+"_total", poison); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if got := metricValue(t, reg, "streamfx_messages_reclaimed_total", nil); (got > 0) != tt.wantReclaimed {
				t.Errorf("reclaimed = %v, want reclaims: %v", got, tt.wantReclaimed)
			}
			app.RequireStop()
			if n, err := testutil.GatherAndCount(reg); err != nil || n != 0 {
				t.Errorf("after stop the registry holds %d series (err %v), want none", n, err)
			}
		})
	}
}

// wantScrape is the part of the scrape TestFxMetricsCountsOutcomes checks
// exactly.
const wantScrape = `
# HELP streamfx_messages_handled_total Route runs that returned nil.
# TYPE streamfx_messages_handled_total counter
streamfx_messages_handled_total{consumer_group="workers",route="orders.good",stream="orders",type="order.paid"} 3
streamfx_messages_handled_total{consumer_group="workers",route="orders.poison",stream="orders",type="order.poison"} 0
# HELP streamfx_messages_dead_lettered_total Route failures written to a dead-letter stream.
# TYPE streamfx_messages_dead_lettered_total counter
streamfx_messages_dead_lettered_total{consumer_group="workers",route="orders.poison",stream="orders",type="order.poison"} 1
# HELP streamfx_group_up 1 if XINFO GROUPS answered and the consumer group exists on the stream, else 0.
# TYPE streamfx_group_up gauge
streamfx_group_up{consumer_group="workers",stream="orders"} 1
# HELP streamfx_group_pending Entries delivered to the consumer group and not yet acknowledged (XINFO GROUPS pending).
# TYPE streamfx_group_pending gauge
streamfx_group_pending{consumer_group="workers",stream="orders"} 0
# HELP streamfx_group_lag Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag).
# TYPE streamfx_group_lag gauge
streamfx_group_lag{consumer_group="workers",stream="orders"} 0
`

// publishGoodAndPoison publishes 3 "order.paid" and 1 "order.poison".
func publishGoodAndPoison(t *testing.T, pub *redisstream.Publisher) {
	t.Helper()
	events := []redisstream.Event{{Type: "order.paid"}, {Type: "order.poison"}, {Type: "order.paid"}, {Type: "order.paid"}}
	if _, err := pub.PublishBatch(context.Background(), "orders", events); err != nil {
		t.Fatal(err)
	}
}

// TestFxMetricsPerConsumerGroup checks that with two consumer groups each
// message is counted under its own stream's group.
func TestFxMetricsPerConsumerGroup(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	reg := prometheus.NewRegistry()
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", "billing"), fastStream("refunds", "support")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, fxmetrics.Module(reg),
		fx.Provide(streamfx.AsRoute(goodRoute)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()
	want := map[string]float64{"orders": 2, "refunds": 1}
	for stream, n := range want {
		for range int(n) {
			if _, err := pub.Publish(context.Background(), stream, "order.paid", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, "3 handled", func() bool { return metricValue(t, reg, "streamfx_messages_handled_total", nil) == 3 })
	for stream, group := range map[string]string{"orders": "billing", "refunds": "support"} {
		labels := map[string]string{"stream": stream, "consumer_group": group}
		if got := metricValue(t, reg, "streamfx_messages_handled_total", labels); got != want[stream] {
			t.Errorf("handled %v = %v, want %v", labels, got, want[stream])
		}
		if got := metricValue(t, reg, "streamfx_group_up", labels); got != 1 {
			t.Errorf("group_up %v = %v, want 1", labels, got)
		}
	}
}

// TestFxTracingLinksPublisherAndConsumer publishes inside a span with
// the module's Publisher: the entry carries a traceparent, the route's
// consumer span is a child of the publishing span, and the app's own
// middleware and the handler run inside the consumer span.
func TestFxTracingLinksPublisherAndConsumer(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	inMiddleware, inHandler := make(chan trace.SpanContext, 4), make(chan trace.SpanContext, 4)
	route := func() dispatcher.Route {
		return dispatcher.Route{Type: "order.paid", Name: "orders.traced", Handler: dispatcher.HandlerFunc(
			func(ctx context.Context, _ *dispatcher.Message) error {
				inHandler <- trace.SpanContextFromContext(ctx)
				return nil
			})}
	}
	appMiddleware := func() []dispatcher.RouteMiddleware {
		return []dispatcher.RouteMiddleware{func(dispatcher.Route) dispatcher.Middleware {
			return func(next dispatcher.Handler) dispatcher.Handler {
				return dispatcher.HandlerFunc(func(ctx context.Context, m *dispatcher.Message) error {
					inMiddleware <- trace.SpanContextFromContext(ctx)
					return next.Handle(ctx, m)
				})
			}
		}}
	}
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", "")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, fxtracing.Module(tp),
		fxmetrics.Module(prometheus.NewRegistry()),
		fx.Provide(streamfx.AsRoute(route), streamfx.AsMiddleware(appMiddleware)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()

	ctx, span := tp.Tracer("test").Start(context.Background(), "publish order", trace.WithSpanKind(trace.SpanKindProducer))
	id, err := pub.Publish(ctx, "orders", "order.paid", map[string]any{"n": 1})
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	parent := span.SpanContext()
	entries, err := rdb.XRange(context.Background(), "orders", id, id).Result()
	if err != nil || len(entries) != 1 {
		t.Fatalf("XRANGE: %v %v", entries, err)
	}
	if tp, _ := entries[0].Values[tracing.TraceparentField].(string); !strings.Contains(tp, parent.TraceID().String()) {
		t.Errorf("entry traceparent %q does not carry trace %s", tp, parent.TraceID())
	}
	handler, middleware := receive(t, inHandler, "the handler run"), receive(t, inMiddleware, "the middleware run")
	var consumer tracetest.SpanStub
	eventually(t, "the consumer span exported", func() bool {
		for _, s := range exp.GetSpans() {
			if s.Name == "process orders.traced" {
				consumer = s
				return true
			}
		}
		return false
	})
	if consumer.SpanKind != trace.SpanKindConsumer {
		t.Errorf("consumer span kind %v", consumer.SpanKind)
	}
	if consumer.Parent.TraceID() != parent.TraceID() || consumer.Parent.SpanID() != parent.SpanID() || !consumer.Parent.IsRemote() {
		t.Errorf("consumer span parent %v, want the remote publishing span %v", consumer.Parent, parent)
	}
	if !handler.Equal(consumer.SpanContext) || !middleware.Equal(consumer.SpanContext) {
		t.Errorf("handler ran in span %v and app middleware in %v, want the consumer span %v",
			handler.SpanID(), middleware.SpanID(), consumer.SpanContext.SpanID())
	}
}

// TestWithoutInstrumentation checks that without fxmetrics and
// fxtracing nothing is registered on the default registry and the
// Publisher adds no trace field even when the context carries a span.
func TestWithoutInstrumentation(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", "")}}
	var pub *redisstream.Publisher
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module,
		fx.Provide(streamfx.AsRoute(goodRoute)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()
	ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
	defer span.End()
	id, err := pub.Publish(ctx, "orders", "order.paid", nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := rdb.XRange(context.Background(), "orders", id, id).Result()
	if err != nil || len(entries) != 1 {
		t.Fatalf("XRANGE: %v %v", entries, err)
	}
	if v, ok := entries[0].Values[tracing.TraceparentField]; ok {
		t.Errorf("traceparent %v written without fxtracing", v)
	}
	eventually(t, "the entry handled", func() bool { return pending(t, rdb, "orders", streamfx.DefaultConsumerGroup) == 0 })
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "streamfx_") {
			t.Errorf("%s registered on the default registry without fxmetrics", mf.GetName())
		}
	}
}

// TestInstrumentNilArguments checks that a nil registerer or tracer
// provider fails fx.New.
func TestInstrumentNilArguments(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opt  fx.Option
		want error
	}{
		"fxmetrics.Module(nil)": {fxmetrics.Module(nil), metrics.ErrNilRegisterer},
		"fxtracing.Module(nil)": {fxtracing.Module(nil), fxtracing.ErrNilTracerProvider},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := fx.New(tc.opt, fx.NopLogger).Err()
			if !errors.Is(err, tc.want) {
				t.Errorf("fx.New error %v, want %v", err, tc.want)
			}
		})
	}
}
