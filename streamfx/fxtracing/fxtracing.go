// Package fxtracing is the opt-in companion of streamfx.Module that traces
// messages with OpenTelemetry (package dispatcher/tracing). It lives apart
// from package streamfx so that an app without tracing does not link
// OpenTelemetry.
package fxtracing

import (
	"errors"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/streamfx/streamfx/dispatcher/tracing"
	"github.com/streamfx/streamfx/streamfx/internal/hook"
)

// ErrNilTracerProvider is the error fx.New fails with when Module is given a
// nil TracerProvider.
var ErrNilTracerProvider = errors.New("fxtracing: nil TracerProvider")

// Module traces the messages of streamfx.Module through tp:
//
//	fx.New(streamfx.Module, fxtracing.Module(tp), ...)
//
// The provided Publisher stores the W3C trace context of the publishing
// context in every entry (fields traceparent and tracestate, ignored by the
// Python seed), and every route run gets a consumer span whose parent is
// that context; every batch of a batch route gets one consumer span linked
// to the trace context of each of its messages. The tracing middleware sits inside the metrics middleware of
// streamfx/fxmetrics and outside the app's own middleware. Nothing reads the
// global TracerProvider.
func Module(tp trace.TracerProvider) fx.Option {
	if tp == nil {
		return fx.Error(ErrNilTracerProvider)
	}
	return fx.Module("streamfx.tracing",
		fx.Provide(func() hook.Out {
			return hook.Out{Hook: hook.Hook{
				Rank:       hook.RankTracing,
				Middleware: tracing.Middleware(tp),
				Batch:      tracing.BatchMiddleware(tp),
				Fields:     tracing.AppendFields,
			}}
		}),
	)
}
