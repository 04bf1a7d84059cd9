package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/streamfx/streamfx/dispatcher"
)

// ScopeName is the instrumentation scope of the spans this package starts.
const ScopeName = "github.com/streamfx/streamfx/dispatcher/tracing"

// Attribute keys specific to streamfx.
const (
	// RouteKey is the name of the route that ran.
	RouteKey = attribute.Key("streamfx.route")
	// TypeKey is the event type of the route that ran.
	TypeKey = attribute.Key("streamfx.type")
	// AttemptKey is Message.Attempt: the delivery, or the retry run, from 1.
	AttemptKey = attribute.Key("streamfx.attempt")
)

// Middleware returns the route middleware that runs every route inside a
// consumer span whose parent is the trace context stored in the entry's
// fields (see the package documentation). Install it in
// dispatcher.Config.Middleware, after the metrics middleware if both are
// used so that the measured duration includes span handling. The span name
// and static attributes are built once per route, when it is mounted. It
// panics if tp is nil.
func Middleware(tp trace.TracerProvider) dispatcher.RouteMiddleware {
	if tp == nil {
		panic("tracing: nil TracerProvider passed to Middleware")
	}
	tracer := tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))
	return func(r dispatcher.Route) dispatcher.Middleware {
		name, start := routeSpan(r)
		return func(next dispatcher.Handler) dispatcher.Handler {
			return &spanHandler{tracer: tracer, name: name, start: start, next: next}
		}
	}
}

// routeSpan returns the name and the static start options of the spans of
// route r.
func routeSpan(r dispatcher.Route) (string, []trace.SpanStartOption) {
	return "process " + r.Name, []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String("redis"),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			RouteKey.String(r.Name),
			TypeKey.String(r.Type),
		),
	}
}

// spanHandler runs one route inside a span.
type spanHandler struct {
	tracer trace.Tracer
	name   string
	start  []trace.SpanStartOption
	next   dispatcher.Handler
}

// Handle extracts the parent, starts the span, runs the route and ends the
// span with its result.
func (h *spanHandler) Handle(ctx context.Context, msg *dispatcher.Message) (err error) {
	ctx = Extract(ctx, msg.Fields)
	ctx, span := h.tracer.Start(ctx, h.name, append(h.start[:len(h.start):len(h.start)],
		trace.WithAttributes(
			semconv.MessagingDestinationName(msg.Stream),
			semconv.MessagingMessageID(msg.ID),
			AttemptKey.Int(msg.Attempt),
		))...)
	returned := false
	defer func() { finish(span, returned, err) }()
	err = h.next.Handle(ctx, msg)
	returned = true
	return err
}

// finish ends span with the result of the run inside it: status Error for
// a run that did not return (a panic, which keeps propagating), or for an
// error, which is recorded.
func finish(span trace.Span, returned bool, err error) {
	switch {
	case !returned:
		span.SetStatus(codes.Error, dispatcher.ErrPanic.Error())
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
