package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamfx/streamfx/dispatcher"
)

// BatchMiddleware returns the batch middleware that runs every batch of a
// batch route inside one consumer span, "process <route name>", linked to
// the trace context stored in each message's fields (a batch has many
// parents, so they are links, not the parent: the span's parent is the
// span of ctx, if any). Besides the attributes of Middleware's spans, it
// carries messaging.batch.message_count; each link carries the message's
// messaging.message.id. A returned error (a *dispatcher.BatchError for
// failed items) is recorded and sets the status to Error; so does a panic,
// which keeps propagating to the Dispatcher. Install it in
// dispatcher.Config.BatchMiddleware; Middleware still traces a message of a
// batch route run alone (a retry). It panics if tp is nil.
func BatchMiddleware(tp trace.TracerProvider) dispatcher.BatchMiddleware {
	if tp == nil {
		panic("tracing: nil TracerProvider passed to BatchMiddleware")
	}
	tracer := tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	return func(r dispatcher.Route, next dispatcher.BatchHandler) dispatcher.BatchHandler {
		name, start := routeSpan(r)
		return &batchSpanHandler{tracer: tracer, name: name, start: start, next: next}
	}
}

// batchSpanHandler runs one batch inside a span linked to its messages.
type batchSpanHandler struct {
	tracer trace.Tracer
	name   string
	start  []trace.SpanStartOption
	next   dispatcher.BatchHandler
}

// HandleBatch starts the span, runs the batch and ends the span with its
// result.
func (h *batchSpanHandler) HandleBatch(ctx context.Context, msgs []*dispatcher.Message) (err error) {
	links := make([]trace.Link, 0, len(msgs))
	for _, m := range msgs {
		sc := trace.SpanContextFromContext(Extract(context.Background(), m.Fields))
		if sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc,
				Attributes: []attribute.KeyValue{semconv.MessagingMessageID(m.ID)}})
		}
	}
	opts := append(h.start[:len(h.start):len(h.start)], trace.WithLinks(links...),
		trace.WithAttributes(semconv.MessagingBatchMessageCount(len(msgs))))
	if len(msgs) > 0 {
		opts = append(opts, trace.WithAttributes(semconv.MessagingDestinationName(msgs[0].Stream)))
	}
	ctx, span := h.tracer.Start(ctx, h.name, opts...)
	returned := false
	defer func() { finish(span, returned, err) }()
	err = h.next.HandleBatch(ctx, msgs)
	returned = true
	return err
}
