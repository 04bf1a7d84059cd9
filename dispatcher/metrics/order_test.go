package metrics_test

import (
	"context"
	"errors"
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
streamfx_messages_failed_total{group="workers",route="ledger",stream="ordered-retries",type="ev"} 2
# HELP streamfx_messages_handled_total Route runs that returned nil.
# TYPE streamfx_messages_handled_total counter
streamfx_messages_handled_total{group="workers",route="ledger",stream="ordered-retries",type="ev"} 1
# HELP streamfx_messages_retried_total Failed route runs that will run again (retry scheduled or entry left pending).
# TYPE streamfx_messages_retried_total counter
streamfx_messages_retried_total{group="workers",route="ledger",stream="ordered-retries",type="ev"} 2
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want), "streamfx_messages_handled_total",
		"streamfx_messages_failed_total", "streamfx_messages_retried_total", "streamfx_messages_dead_lettered_total")
	if err != nil {
		t.Fatal(err)
	}
}
