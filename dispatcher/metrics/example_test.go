package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
)

// Measure every route of a Dispatcher and report what Process decided.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		panic(err)
	}
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{m.Middleware()}})
	d.OnFunc("order.paid", func(_ context.Context, msg *dispatcher.Message) error {
		if msg.Fields["amount"] == "0" {
			return dispatcher.Permanent(errors.New("empty order"))
		}
		return nil
	}, dispatcher.Named("ledger"))

	for i, amount := range []string{"10", "20", "30", "0"} {
		msg := dispatcher.NewMessage("orders", fmt.Sprintf("%d-0", i+1), map[string]string{"type": "order.paid", "amount": amount})
		msg.ConsumerGroup = "billing"                               // the Processor sets the consumer group
		m.ObserveOutcome(msg, d.Process(context.Background(), msg)) // what the Processor does
	}

	n, _ := testutil.GatherAndCount(reg, "streamfx_messages_handled_total", "streamfx_messages_dead_lettered_total")
	fmt.Println("series:", n)
	// Output:
	// series: 2
}

// Serve the metrics, the consumer group lag included, on /metrics.
func ExampleNewLagCollector() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	reg := prometheus.NewRegistry()
	lag, err := metrics.NewLagCollector(rdb, metrics.LagConfig{Group: "billing", Streams: []string{"orders"}})
	if err != nil {
		panic(err)
	}
	reg.MustRegister(lag)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	_ = mux // http.ListenAndServe(":9090", mux)
}
