package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
)

// A batch is one observation of its size; each of its messages counts as
// handled or failed, a failed item alone, a panic for every message.
func TestBatchMiddleware(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := dispatcher.New(dispatcher.Config{
		Middleware:      []dispatcher.RouteMiddleware{m.Middleware()},
		BatchMiddleware: []dispatcher.BatchMiddleware{m.BatchMiddleware()},
	})
	d.OnBatch("order.paid", dispatcher.BatchHandlerFunc(func(_ context.Context, msgs []*dispatcher.Message) error {
		var failed dispatcher.BatchError
		for i, x := range msgs {
			switch x.Fields["mode"] {
			case "panic":
				panic("boom")
			case "transient":
				failed.Fail(i, errors.New("database down"))
			}
		}
		return failed.Err()
	}), dispatcher.Named("ledger"))

	batch := func(modes ...string) {
		msgs := make([]*dispatcher.Message, len(modes))
		for i, mode := range modes {
			msgs[i] = msg("1-0", "order.paid", mode)
		}
		for i, o := range d.ProcessBatch(context.Background(), msgs) {
			m.ObserveOutcome(msgs[i], o)
		}
	}
	batch("", "transient", "", "")
	batch("", "panic")
	batch("")
	if err := d.RunRoute(context.Background(), "ledger", msg("2-0", "order.paid", "")); err != nil { // a retry, alone
		t.Fatal(err)
	}

	const want = `
# HELP streamfx_batch_size Messages per call of a batch route.
# TYPE streamfx_batch_size histogram
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="1"} 1
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="2"} 2
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="4"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="8"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="16"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="32"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="64"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="128"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="256"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="512"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="1024"} 3
streamfx_batch_size_bucket{consumer_group="workers",route="ledger",stream="orders",type="order.paid",le="+Inf"} 3
streamfx_batch_size_sum{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 7
streamfx_batch_size_count{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 3
# HELP streamfx_messages_failed_total Route runs that returned an error or panicked.
# TYPE streamfx_messages_failed_total counter
streamfx_messages_failed_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 3
# HELP streamfx_messages_handled_total Route runs that returned nil.
# TYPE streamfx_messages_handled_total counter
streamfx_messages_handled_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 5
# HELP streamfx_messages_retried_total Failed route runs that will run again (retry scheduled or entry left pending).
# TYPE streamfx_messages_retried_total counter
streamfx_messages_retried_total{consumer_group="workers",route="ledger",stream="orders",type="order.paid"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "streamfx_batch_size",
		"streamfx_messages_handled_total", "streamfx_messages_failed_total", "streamfx_messages_retried_total"); err != nil {
		t.Fatal(err)
	}
	if got := histogramCount(t, reg); got != 4 {
		t.Fatalf("handler_duration_seconds count = %d, want 4 (three batches, one retry)", got)
	}
}
