package streamfx_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/fxmetrics"
	"github.com/streamfx/streamfx/streamfx/fxtracing"
)

// A batch route contributed with AsRoute runs in batches under the module,
// measured by fxmetrics (batch size, one handled count per message) and
// traced by fxtracing (one span per batch, linked to the messages).
func TestBatchRouteInstrumented(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	reg := prometheus.NewRegistry()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var handled atomic.Int64
	rows := func() dispatcher.Route {
		return dispatcher.Route{Type: "row.added", Name: "rows.insert", MaxBatch: 50, MaxWait: time.Second,
			Batch: dispatcher.BatchHandlerFunc(func(_ context.Context, msgs []*dispatcher.Message) error {
				handled.Add(int64(len(msgs)))
				return nil
			})}
	}
	var pub *redisstream.Publisher
	cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("rows", "g")}}
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, fxmetrics.Module(reg), fxtracing.Module(tp),
		fx.Provide(streamfx.AsRoute(rows)), fx.Populate(&pub))
	app.RequireStart()
	defer app.RequireStop()

	events := make([]redisstream.Event, 100)
	for i := range events {
		events[i] = redisstream.Event{Type: "row.added", Payload: map[string]any{"n": i}}
	}
	ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
	if _, err := pub.PublishBatch(ctx, "rows", events); err != nil {
		t.Fatal(err)
	}
	span.End()
	streamtest.Eventually(t, waitTimeout, "the 100 rows handled and acknowledged", func() bool {
		return handled.Load() == 100 && streamtest.Pending(t, rdb, "rows", "g") == 0
	})
	route := map[string]string{"route": "rows.insert", "consumer_group": "g", "stream": "rows"}
	if got := metricValue(t, reg, "streamfx_messages_handled_total", route); got != 100 {
		t.Errorf("streamfx_messages_handled_total = %v, want 100 (one per message)", got)
	}
	calls, size := histogram(t, reg, "streamfx_batch_size")
	if size != 100 || calls < 2 || calls > 100 {
		t.Errorf("streamfx_batch_size: %d batches summing %v messages, want 100 messages in at least 2 batches of at most 50", calls, size)
	}
	var spans, links int
	for _, s := range exp.GetSpans() {
		if s.Name == "process rows.insert" {
			spans++
			links += len(s.Links)
		}
	}
	if uint64(spans) != calls || links != 100 {
		t.Errorf("%d batch spans with %d links, want one span per batch (%d) and a link per message", spans, links, calls)
	}
}

// histogram returns the count and sum of histogram name, over its labels.
func histogram(t *testing.T, g prometheus.Gatherer, name string) (count uint64, sum float64) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			count += m.GetHistogram().GetSampleCount()
			sum += m.GetHistogram().GetSampleSum()
		}
	}
	return count, sum
}
