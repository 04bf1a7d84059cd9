package metrics_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
)

// BenchmarkProcess compares a dispatch with and without the metrics
// middleware, to show its per-message cost.
func BenchmarkProcess(b *testing.B) {
	for _, measured := range []bool{false, true} {
		name := map[bool]string{false: "bare", true: "metrics"}[measured]
		b.Run(name, func(b *testing.B) {
			var cfg dispatcher.Config
			m, err := metrics.New(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			if measured {
				cfg.Middleware = []dispatcher.RouteMiddleware{m.Middleware()}
			}
			d := dispatcher.New(cfg)
			d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { return nil }, dispatcher.Named("ledger"))
			msg := dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid"})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				m.ObserveOutcome(msg, d.Process(ctx, msg))
			}
		})
	}
}
