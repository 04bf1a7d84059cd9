// Package tracing propagates OpenTelemetry trace context through Redis
// Stream entries and starts a consumer span for every route run.
//
// # Wire format
//
// The publisher stores the W3C Trace Context of the current span in two plain
// string fields of the entry: "traceparent" (always, when the context carries
// a valid span) and "tracestate" (only when it is not empty). Their values
// never begin with "json:", so the Python seed reads them as ordinary string
// fields and ignores them; a Go handler sees them in Message.Fields and
// Message.Payload, and Message.Decode ignores them unless the target struct
// declares them. An entry without the fields is handled exactly as before:
// its span simply starts a new trace (or continues the one in the context
// the engine passes in).
//
// # Publisher side
//
// AppendFields (or PublishFields) returns the fields to add to an XADD; the
// engine's publisher calls it with the publishing context. Inject and Extract
// do the same on a map of raw fields.
//
// # Consumer side
//
// Middleware, installed in dispatcher.Config.Middleware, extracts the parent
// from the entry's fields and starts a span of kind Consumer named
// "process <route name>" around each route run, with the attributes
//
//	messaging.system            "redis"
//	messaging.operation.type    "process"
//	messaging.operation.name    "process"
//	messaging.destination.name  the stream
//	messaging.message.id        the entry ID
//	streamfx.route              the route name
//	streamfx.type               the route's event type
//	streamfx.attempt            Message.Attempt (delivery or retry run, from 1)
//
// A returned error is recorded on the span and sets its status to Error; a
// panic sets the status to Error and keeps propagating to the Dispatcher.
//
// BatchMiddleware, installed in dispatcher.Config.BatchMiddleware, runs
// each batch of a batch route inside one consumer span with the same name
// and attributes (but no message ID) plus messaging.batch.message_count.
// A batch has many parents, so the span links to the trace context of each
// message instead (each link carries the message's messaging.message.id).
//
// Retries keep the link: the retry path re-runs a route with the entry's raw
// fields, traceparent included, so every attempt is a child of the span that
// published the entry.
//
// Nothing here reads the global TracerProvider or propagator: the provider is
// passed to Middleware, and the W3C Trace Context propagator is used
// directly.
package tracing
