package tracing_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/tracing"
)

// One batch is one span, linked to the publishing span of each message that
// carries one; a failed item sets the status to Error.
func TestBatchMiddleware(t *testing.T) {
	t.Parallel()
	tp, exp := newProvider(t)
	var published []trace.SpanContext
	var msgs []*dispatcher.Message
	for i, id := range []string{"1-0", "2-0", "3-0"} {
		fields := map[string]string{"type": "row"}
		if i < 2 { // the third message carries no trace context
			ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
			tracing.Inject(ctx, fields)
			span.End()
			published = append(published, span.SpanContext())
		}
		msgs = append(msgs, dispatcher.NewMessage("rows", id, fields))
	}
	exp.Reset()
	var inBatch trace.SpanContext
	d := dispatcher.New(dispatcher.Config{
		Middleware:      []dispatcher.RouteMiddleware{tracing.Middleware(tp)},
		BatchMiddleware: []dispatcher.BatchMiddleware{tracing.BatchMiddleware(tp)},
	})
	d.OnBatch("row", dispatcher.BatchHandlerFunc(func(ctx context.Context, batch []*dispatcher.Message) error {
		inBatch = trace.SpanContextFromContext(ctx)
		var failed dispatcher.BatchError
		for i, m := range batch {
			if m.ID == "3-0" {
				failed.Fail(i, errors.New("duplicate key"))
			}
		}
		return failed.Err()
	}), dispatcher.Named("rows.insert"))

	d.ProcessBatch(context.Background(), msgs)

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1 for the batch", len(spans))
	}
	s := spans[0]
	if s.Name != "process rows.insert" || s.SpanKind != trace.SpanKindConsumer || s.Status.Code != codes.Error {
		t.Errorf("span %q kind %v status %v, want process rows.insert, consumer, error", s.Name, s.SpanKind, s.Status.Code)
	}
	if s.SpanContext.SpanID() != inBatch.SpanID() {
		t.Error("the batch handler did not run in the batch span")
	}
	if len(s.Links) != 2 {
		t.Fatalf("%d links, want 2 (the messages with a trace context)", len(s.Links))
	}
	for i, l := range s.Links {
		if l.SpanContext.SpanID() != published[i].SpanID() || l.SpanContext.TraceID() != published[i].TraceID() {
			t.Errorf("link %d points to %v, want the publish span %v", i, l.SpanContext, published[i])
		}
		if want := attribute.String("messaging.message.id", msgs[i].ID); len(l.Attributes) != 1 || l.Attributes[0] != want {
			t.Errorf("link %d attributes %v, want %v", i, l.Attributes, want)
		}
	}
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		attrs[kv.Key] = kv.Value
	}
	for k, want := range map[attribute.Key]string{
		"messaging.batch.message_count": "3", "messaging.destination.name": "rows",
		tracing.RouteKey: "rows.insert", tracing.TypeKey: "row",
	} {
		if got := attrs[k].String(); got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}

	// A message retried alone gets the per-message span, as any route.
	exp.Reset()
	if err := d.RunRoute(context.Background(), "rows.insert", msgs[0]); err != nil {
		t.Fatal(err)
	}
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].Parent.SpanID() != published[0].SpanID() {
		t.Errorf("retry alone: spans %v, want one child of the publish span", spans)
	}
}

func TestBatchMiddlewarePanic(t *testing.T) {
	t.Parallel()
	tp, exp := newProvider(t)
	d := dispatcher.New(dispatcher.Config{BatchMiddleware: []dispatcher.BatchMiddleware{tracing.BatchMiddleware(tp)}})
	d.OnBatch("row", dispatcher.BatchHandlerFunc(func(context.Context, []*dispatcher.Message) error { panic("boom") }))
	outs := d.ProcessBatch(context.Background(), []*dispatcher.Message{dispatcher.NewMessage("rows", "1-0", map[string]string{"type": "row"})})
	if spans := exp.GetSpans(); len(spans) != 1 || spans[0].Status.Code != codes.Error {
		t.Errorf("spans %v, want one with status Error", spans)
	}
	if !errors.Is(outs[0].Failures[0].Err, dispatcher.ErrPanic) {
		t.Errorf("outcome %+v, want the panic as the failure", outs[0])
	}
}
