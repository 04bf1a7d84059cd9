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
	m, err := metrics.New(reg, metrics.WithGroup("billing"))
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

// Count the retries handed to a RetryScheduler.
func ExampleMetrics_InstrumentRetry() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		panic(err)
	}
	var sched dispatcher.RetryScheduler = noopScheduler{} // asynqretry.NewScheduler(...) in an application
	d := dispatcher.New(dispatcher.Config{
		Retry:      m.InstrumentRetry(sched),
		Middleware: []dispatcher.RouteMiddleware{m.Middleware()},
	})
	d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { return errors.New("try later") })
	o := d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid"}))
	fmt.Println(o.Action, o.Scheduled)
	n, _ := testutil.GatherAndCount(reg, "streamfx_messages_retried_total")
	fmt.Println("retried series:", n)
	// Output:
	// ack 1
	// retried series: 1
}

type noopScheduler struct{}

func (noopScheduler) ScheduleRetry(context.Context, dispatcher.RetryRequest) error { return nil }
