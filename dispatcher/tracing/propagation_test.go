package tracing_test

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/tracing"
)

// remoteContext returns a context carrying a fixed, valid span context.
func remoteContext(t *testing.T, state string) context.Context {
	t.Helper()
	ts, err := trace.ParseTraceState(state)
	if err != nil {
		t.Fatal(err)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		TraceState: ts,
	})
	return trace.ContextWithSpanContext(context.Background(), sc)
}

const wantParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestAppendFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		ctx    context.Context
		fields []string
		want   []string
	}{
		{"no span", context.Background(), []string{"type", "t"}, []string{"type", "t"}},
		{"no span, nil", context.Background(), nil, nil},
		{"span", remoteContext(t, ""), []string{"type", "t"}, []string{"type", "t", "traceparent", wantParent}},
		{"span with state", remoteContext(t, "vendor=x"), nil, []string{"traceparent", wantParent, "tracestate", "vendor=x"}},
		{
			"replaces an existing pair", remoteContext(t, ""),
			[]string{"traceparent", "stale", "type", "t"},
			[]string{"traceparent", wantParent, "type", "t"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tracing.AppendFields(tc.ctx, slices.Clone(tc.fields)); !slices.Equal(got, tc.want) {
				t.Fatalf("AppendFields = %q, want %q", got, tc.want)
			}
		})
	}
	if got := tracing.PublishFields(remoteContext(t, "")); !slices.Equal(got, []string{"traceparent", wantParent}) {
		t.Fatalf("PublishFields = %q", got)
	}
}

func TestInjectExtractRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := remoteContext(t, "vendor=x")
	fields := map[string]string{"type": "order.paid"}
	tracing.Inject(ctx, fields)
	if fields["traceparent"] != wantParent || fields["tracestate"] != "vendor=x" {
		t.Fatalf("fields after Inject = %v", fields)
	}
	got := trace.SpanContextFromContext(tracing.Extract(context.Background(), fields))
	want := trace.SpanContextFromContext(ctx).WithRemote(true)
	if !got.Equal(want) {
		t.Fatalf("Extract = %v/%v, want %v/%v", got.TraceID(), got.SpanID(), want.TraceID(), want.SpanID())
	}

	empty := map[string]string{"type": "order.paid"}
	tracing.Inject(context.Background(), empty)
	if len(empty) != 1 {
		t.Fatalf("Inject without a span added fields: %v", empty)
	}
	if sc := trace.SpanContextFromContext(tracing.Extract(context.Background(), empty)); sc.IsValid() {
		t.Fatal("Extract without traceparent returned a valid span context")
	}
}

// The fields are plain strings: the codec (and so the Python seed) decodes
// them as such, and decoding into a struct ignores them.
func TestFieldsArePlainStrings(t *testing.T) {
	t.Parallel()
	fields := map[string]string{"type": "order.paid", "order_id": "json:42"}
	tracing.Inject(remoteContext(t, "vendor=x"), fields)
	msg := dispatcher.NewMessage("orders", "1-0", fields)
	payload, err := msg.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if payload["traceparent"] != wantParent || payload["tracestate"] != "vendor=x" {
		t.Fatalf("payload = %v", payload)
	}
	var v struct {
		OrderID int `json:"order_id"`
	}
	if err := msg.Decode(&v); err != nil || v.OrderID != 42 {
		t.Fatalf("Decode = %+v, %v", v, err)
	}
}
