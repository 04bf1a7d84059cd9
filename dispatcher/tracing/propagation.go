package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Names of the stream fields that carry the W3C Trace Context.
const (
	// TraceparentField holds the W3C traceparent of the publishing span.
	TraceparentField = "traceparent"
	// TracestateField holds the W3C tracestate, when there is one.
	TracestateField = "tracestate"
)

// AppendFields appends the trace context of ctx to fields, a flat list of
// field/value pairs as dispatcher.EncodeFields returns it, and returns the
// extended list. A traceparent or tracestate pair already in fields has its
// value replaced in place, so an entry never carries the field twice. If ctx carries no
// valid span context, fields is returned unchanged.
//
// Its signature fits a publisher hook of the form
// func(ctx context.Context, fields []string) []string.
func AppendFields(ctx context.Context, fields []string) []string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return fields
	}
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	for i := 0; i+1 < len(fields); i += 2 {
		if v, ok := carrier[fields[i]]; ok {
			fields[i+1] = v
			delete(carrier, fields[i])
		}
	}
	for _, k := range []string{TraceparentField, TracestateField} {
		if v, ok := carrier[k]; ok {
			fields = append(fields, k, v)
		}
	}
	return fields
}

// PublishFields returns the trace context of ctx as field/value pairs to add
// to a published entry: nil without a valid span context, else traceparent
// and, if not empty, tracestate.
func PublishFields(ctx context.Context) []string {
	return AppendFields(ctx, nil)
}

// Inject stores the trace context of ctx in fields (raw field values, as in
// Message.Fields). It does nothing if ctx carries no valid span context.
func Inject(ctx context.Context, fields map[string]string) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.MapCarrier(fields))
	}
}

// Extract returns ctx with the remote span context stored in fields as its
// parent. If fields has no valid traceparent, ctx is returned unchanged.
func Extract(ctx context.Context, fields map[string]string) context.Context {
	if _, ok := fields[TraceparentField]; !ok {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier(fields))
}
