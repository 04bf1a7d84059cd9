package tracing_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/tracing"
)

// The publisher adds the trace context to the entry; the consumer span of
// each route continues the publisher's trace.
func Example() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	// Publisher side: inside the caller's span.
	ctx, span := tp.Tracer("shop").Start(context.Background(), "checkout")
	fields, _ := dispatcher.EncodeFields("order.paid", map[string]any{"order_id": 7})
	fields = tracing.AppendFields(ctx, fields) // what the publisher sends with XADD
	span.End()

	// Consumer side: the entry as read back from the stream.
	raw := map[string]string{}
	for i := 0; i < len(fields); i += 2 {
		raw[fields[i]] = fields[i+1]
	}
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{tracing.Middleware(tp)}})
	d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { return nil }, dispatcher.Named("ledger"))
	d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", raw))

	spans := exp.GetSpans()
	consumer := spans[len(spans)-1]
	fmt.Println(consumer.Name, consumer.SpanKind)
	fmt.Println("same trace:", consumer.SpanContext.TraceID() == span.SpanContext().TraceID())
	fmt.Println("child of checkout:", consumer.Parent.SpanID() == span.SpanContext().SpanID())
	// Output:
	// process ledger consumer
	// same trace: true
	// child of checkout: true
}
