package metrics_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// orderedConfig returns the config of an ordered Processor (OrderKey
// "acct") of group "workers" on stream, observed by m.
func orderedConfig(t *testing.T, m *metrics.Metrics, stream string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "workers", Consumer: "c1", Block: 50 * time.Millisecond,
		Concurrency: 4, MaxDeliveries: 3, MinIdle: time.Minute, OrderKey: "acct",
		Observer: m, Logger: zaptest.NewLogger(t),
	}
}

// registered returns a registry and the metrics registered on it.
func registered(t *testing.T) (*prometheus.Registry, *metrics.Metrics) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return reg, m
}

// add appends an entry of type "ev" with fields to stream.
func add(t *testing.T, rdb redis.UniversalClient, stream string, fields ...string) {
	t.Helper()
	values := append([]string{dispatcher.TypeField, "ev"}, fields...)
	if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: values}).Err(); err != nil {
		t.Fatal(err)
	}
}

// gauge returns the value of the gauge name{consumer_group="workers",stream=stream}
// in reg, and whether it was gathered.
func gauge(t *testing.T, reg *prometheus.Registry, name, stream string) (float64, bool) {
	t.Helper()
	return gathered(t, reg, name, map[string]string{"consumer_group": "workers", "stream": stream})
}

// gathered returns the value of the first gauge or counter name in reg
// whose labels include every one of labels, and whether there is one.
func gathered(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, x := range mf.GetMetric() {
			matched := 0
			for _, l := range x.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					matched++
				}
			}
			if matched == len(labels) {
				return x.GetGauge().GetValue() + x.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

// TestOrderedRetriesInPlaceCounted: an ordered Processor retries a failed
// entry in place, without a RetryScheduler and without leaving it pending;
// each such retry counts in streamfx_messages_retried_total, as a retry
// through asynq or redelivery does.
func TestOrderedRetriesInPlaceCounted(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	const stream = "ordered-retries"
	reg, m := registered(t)
	var runs atomic.Int64
	d := dispatcher.New(dispatcher.Config{Middleware: []dispatcher.RouteMiddleware{m.Middleware()}})
	d.OnFunc("ev", func(context.Context, *dispatcher.Message) error {
		if runs.Add(1) <= 2 {
			return errors.New("database down")
		}
		return nil
	}, dispatcher.Named("ledger"))
	add(t, rdb, stream, "acct", "a")
	streamtest.StartProcessor(t, rdb, d, orderedConfig(t, m, stream))
	streamtest.Eventually(t, 15*time.Second, "the entry handled on its third run", func() bool {
		return streamtest.Pending(t, rdb, stream, "workers") == 0 && runs.Load() == 3
	})
	const want = `
# HELP streamfx_messages_failed_total Route runs that returned an error or panicked.
# TYPE streamfx_messages_failed_total counter
streamfx_messages_failed_total{consumer_group="workers",route="ledger",stream="ordered-retries",type="ev"} 2
# HELP streamfx_messages_handled_total Route runs that returned nil.
# TYPE streamfx_messages_handled_total counter
streamfx_messages_handled_total{consumer_group="workers",route="ledger",stream="ordered-retries",type="ev"} 1
# HELP streamfx_messages_retried_total Failed route runs that will run again (retry scheduled or entry left pending).
# TYPE streamfx_messages_retried_total counter
streamfx_messages_retried_total{consumer_group="workers",route="ledger",stream="ordered-retries",type="ev"} 2
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want), "streamfx_messages_handled_total",
		"streamfx_messages_failed_total", "streamfx_messages_retried_total", "streamfx_messages_dead_lettered_total")
	if err != nil {
		t.Fatal(err)
	}
}

// TestOrderGauges: while the first entry of a key is stuck in its handler,
// the gauges of the ordered Processor show the key active and its two later
// entries waiting, for longer and longer; once released, they fall to zero.
func TestOrderGauges(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	const stream = "ordered-gauges"
	reg, m := registered(t)
	release := make(chan struct{})
	var handled atomic.Int64
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(ctx context.Context, msg *dispatcher.Message) error {
		if msg.Fields["acct"] == "slow" && msg.Fields["n"] == "0" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		handled.Add(1)
		return nil
	})
	for n := range 3 {
		add(t, rdb, stream, "acct", "slow", "n", strconv.Itoa(n))
	}
	for n := range 10 {
		add(t, rdb, stream, "acct", "k"+strconv.Itoa(n%5), "n", strconv.Itoa(n))
	}
	streamtest.StartProcessor(t, rdb, d, orderedConfig(t, m, stream))
	value := func(name string) float64 {
		v, _ := gauge(t, reg, name, stream)
		return v
	}
	const busy = `
# HELP streamfx_order_entries_waiting Entries of the ordered Processors of the consumer group held behind an earlier entry of their key.
# TYPE streamfx_order_entries_waiting gauge
streamfx_order_entries_waiting{consumer_group="workers",stream="ordered-gauges"} 2
# HELP streamfx_order_keys_active Keys of the ordered Processors of the consumer group with an entry held: running, waiting for their turn, or waiting for a retry in place.
# TYPE streamfx_order_keys_active gauge
streamfx_order_keys_active{consumer_group="workers",stream="ordered-gauges"} 1
`
	var firstWait float64
	streamtest.Eventually(t, 15*time.Second, "one key active, two entries waiting", func() bool {
		firstWait = value("streamfx_order_longest_wait_seconds")
		return handled.Load() == 10 && firstWait > 0 && testutil.GatherAndCompare(reg, strings.NewReader(busy),
			"streamfx_order_keys_active", "streamfx_order_entries_waiting") == nil
	})
	streamtest.Eventually(t, 15*time.Second, "the longest wait grows", func() bool {
		return value("streamfx_order_longest_wait_seconds") > firstWait
	})
	close(release)
	streamtest.Eventually(t, 15*time.Second, "the gauges back to zero", func() bool {
		for _, name := range []string{"streamfx_order_keys_active", "streamfx_order_entries_waiting",
			"streamfx_order_longest_wait_seconds"} {
			if v, ok := gauge(t, reg, name, stream); !ok || v != 0 {
				return false
			}
		}
		return handled.Load() == 13
	})
}
