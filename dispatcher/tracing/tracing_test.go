package tracing_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/tracing"
	"github.com/streamfx/streamfx/internal/redistest"
)

// newProvider returns a provider that exports ended spans to memory.
func newProvider(t *testing.T) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

// newDispatcher mounts route "ledger" for "order.paid"; the handler returns
// what fail returns and records the span context it ran in.
func newDispatcher(tp trace.TracerProvider, fail func(*dispatcher.Message) error, seen *trace.SpanContext) *dispatcher.Dispatcher {
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{tracing.Middleware(tp)}})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		*seen = trace.SpanContextFromContext(ctx)
		if fail != nil {
			return fail(msg)
		}
		return nil
	}, dispatcher.Named("ledger"))
	return d
}

// publish encodes an event with the trace context of a "publish" span, adds
// it to a real stream and reads it back as the Processor would.
func publish(t *testing.T, tp trace.TracerProvider) (*dispatcher.Message, trace.SpanContext) {
	t.Helper()
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	ctx, span := tp.Tracer("test").Start(ctx, "publish", trace.WithSpanKind(trace.SpanKindProducer))
	fields, err := dispatcher.EncodeFields("order.paid", map[string]any{"order_id": 42})
	if err != nil {
		t.Fatal(err)
	}
	fields = tracing.AppendFields(ctx, fields)
	id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: fields}).Result()
	if err != nil {
		t.Fatal(err)
	}
	span.End()
	entries, err := rdb.XRange(ctx, "orders", id, id).Result()
	if err != nil || len(entries) != 1 {
		t.Fatalf("XRANGE: %v, %d entries", err, len(entries))
	}
	raw := make(map[string]string, len(entries[0].Values))
	for k, v := range entries[0].Values {
		raw[k] = v.(string)
	}
	return dispatcher.NewMessage("orders", id, raw), span.SpanContext()
}

func TestSpanLinksPublisherAndConsumer(t *testing.T) {
	t.Parallel()
	tp, exp := newProvider(t)
	msg, parent := publish(t, tp)
	var seen trace.SpanContext
	d := newDispatcher(tp, nil, &seen)

	if o := d.Process(context.Background(), msg); o.Action != dispatcher.Ack || o.Handled != 1 {
		t.Fatalf("outcome = %+v, want ack with 1 handled", o)
	}
	// A retry rebuilds the message from the same raw fields (asynqretry
	// carries them) and runs the route by name.
	retry := dispatcher.NewMessage(msg.Stream, msg.ID, maps.Clone(msg.Fields))
	retry.Attempt = 2
	if err := d.RunRoute(context.Background(), "ledger", retry); err != nil {
		t.Fatal(err)
	}

	spans := consumerSpans(exp)
	if len(spans) != 2 {
		t.Fatalf("got %d consumer spans, want 2", len(spans))
	}
	for i, s := range spans {
		if s.Parent.SpanID() != parent.SpanID() || s.SpanContext.TraceID() != parent.TraceID() || !s.Parent.IsRemote() {
			t.Errorf("span %d: parent %v (remote %v), trace %v; want remote parent %v in trace %v",
				i, s.Parent.SpanID(), s.Parent.IsRemote(), s.SpanContext.TraceID(), parent.SpanID(), parent.TraceID())
		}
		if s.Name != "process ledger" {
			t.Errorf("span %d name = %q", i, s.Name)
		}
		want := map[attribute.Key]attribute.Value{
			"messaging.system":           attribute.StringValue("redis"),
			"messaging.destination.name": attribute.StringValue("orders"),
			"messaging.message.id":       attribute.StringValue(msg.ID),
			"messaging.operation.type":   attribute.StringValue("process"),
			tracing.RouteKey:             attribute.StringValue("ledger"),
			tracing.TypeKey:              attribute.StringValue("order.paid"),
			tracing.AttemptKey:           attribute.IntValue(i + 1),
		}
		checkAttributes(t, s, want)
	}
	// The handler ran inside the consumer span of the last run.
	if !seen.Equal(spans[1].SpanContext) {
		t.Errorf("handler context span = %v, want %v", seen.SpanID(), spans[1].SpanContext.SpanID())
	}
}

func TestWithoutTraceContext(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fields map[string]string
	}{
		{"no field", map[string]string{"type": "order.paid"}},
		{"malformed traceparent", map[string]string{"type": "order.paid", "traceparent": "garbage"}},
		{"json traceparent", map[string]string{"type": "order.paid", "traceparent": `json:{"a":1}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tp, exp := newProvider(t)
			var seen trace.SpanContext
			d := newDispatcher(tp, nil, &seen)
			if o := d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", tc.fields)); o.Handled != 1 {
				t.Fatalf("outcome = %+v, want 1 handled", o)
			}
			spans := consumerSpans(exp)
			if len(spans) != 1 || spans[0].Parent.IsValid() {
				t.Fatalf("want one root consumer span, got %d (first parent valid: %v)", len(spans), len(spans) > 0 && spans[0].Parent.IsValid())
			}
			if !seen.IsValid() {
				t.Fatal("handler ran without a span in its context")
			}
		})
	}
}

func TestSpanStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fail   func(*dispatcher.Message) error
		status codes.Code
		events int
	}{
		{"success", nil, codes.Unset, 0},
		{"error", func(*dispatcher.Message) error { return errors.New("database down") }, codes.Error, 1},
		{"panic", func(*dispatcher.Message) error { panic("boom") }, codes.Error, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tp, exp := newProvider(t)
			var seen trace.SpanContext
			d := newDispatcher(tp, tc.fail, &seen)
			o := d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid"}))
			if tc.fail != nil && len(o.Failures) != 1 {
				t.Fatalf("outcome = %+v, want one failure", o)
			}
			spans := consumerSpans(exp)
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1 (a panicking route must still end its span)", len(spans))
			}
			if spans[0].Status.Code != tc.status || len(spans[0].Events) != tc.events {
				t.Fatalf("status %v with %d events, want %v with %d", spans[0].Status.Code, len(spans[0].Events), tc.status, tc.events)
			}
		})
	}
}

func TestMiddlewarePanicsOnNilProvider(t *testing.T) {
	t.Parallel()
	defer func() {
		if v := recover(); v == nil {
			t.Fatal("Middleware(nil) did not panic")
		}
	}()
	tracing.Middleware(nil)
}

func consumerSpans(exp *tracetest.InMemoryExporter) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.SpanKind == trace.SpanKindConsumer {
			out = append(out, s)
		}
	}
	return out
}

func checkAttributes(t *testing.T, s tracetest.SpanStub, want map[attribute.Key]attribute.Value) {
	t.Helper()
	got := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		got[kv.Key] = kv.Value
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: attribute %s = %v, want %v", s.Name, k, got[k].String(), want[k].String())
		}
	}
}
