package streamfx_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
	"github.com/streamfx/streamfx/streamfx/fxmetrics"
)

// orderWatcher is an app's own Observer that also watches the keys of
// ordered Processors.
type orderWatcher struct {
	dispatcher.Observer // nil: only ObserveOrder is called in this test's paths
	waitingSeen         atomic.Bool
}

func (w *orderWatcher) ObserveOutcome(*dispatcher.Message, dispatcher.Outcome) {}
func (w *orderWatcher) Reclaimed(string, string, int)                          {}

var _ redisstream.OrderObserver = (*orderWatcher)(nil)

func (w *orderWatcher) ObserveOrder(_ *redisstream.Processor, _, _ string, s redisstream.OrderStats) {
	if s.Waiting > 0 {
		w.waitingSeen.Store(true)
	}
}

// TestFxMetricsOrderGauges runs an ordered processor (OrderKey) with
// fxmetrics and an Observer of the app's own: while the first event of a
// key is stuck in its handler, the registry shows the key active and its
// two later events waiting, and the app's Observer sees them too; once
// released, the gauges fall to zero.
func TestFxMetricsOrderGauges(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	reg := prometheus.NewRegistry()
	watcher := &orderWatcher{}
	proc := fastStream("accounts", "workers")
	proc.OrderKey = "acct"
	proc.Observer = watcher
	release := make(chan struct{})
	var handled atomic.Int64
	route := func() dispatcher.Route {
		return dispatcher.Route{Type: "ev", Name: "accounts.ev", Handler: dispatcher.HandlerFunc(
			func(ctx context.Context, msg *dispatcher.Message) error {
				if msg.Fields["n"] == "0" {
					select {
					case <-release:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				handled.Add(1)
				return nil
			})}
	}
	app := fxtest.New(t, baseOptions(t, rdb, streamfx.Config{Processors: []redisstream.ProcessorConfig{proc}}, nil),
		streamfx.Module, fxmetrics.Module(reg), fx.Provide(streamfx.AsRoute(route)))
	app.RequireStart()
	defer app.RequireStop()
	for n := range 3 {
		err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "accounts",
			Values: []string{dispatcher.TypeField, "ev", "acct", "a", "n", strconv.Itoa(n)}}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string]string{"consumer_group": "workers", "stream": "accounts"}
	gauge := func(name string) float64 { return metricValue(t, reg, name, labels) }
	eventually(t, "one key active, two events waiting", func() bool {
		return gauge("streamfx_order_keys_active") == 1 && gauge("streamfx_order_entries_waiting") == 2 &&
			gauge("streamfx_order_longest_wait_seconds") > 0
	})
	if !watcher.waitingSeen.Load() {
		t.Error("the app's own Observer was not told of the waiting events")
	}
	close(release)
	eventually(t, "the gauges back to zero", func() bool {
		return handled.Load() == 3 && gauge("streamfx_order_keys_active") == 0 &&
			gauge("streamfx_order_entries_waiting") == 0 && gauge("streamfx_order_longest_wait_seconds") == 0
	})
}
