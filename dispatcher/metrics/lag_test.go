package metrics_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/internal/redistest"
)

// seed adds n entries to stream, creates group at 0 and has one consumer
// read read of them and acknowledge ack of those.
func seed(ctx context.Context, t *testing.T, rdb *redis.Client, stream, group string, n, read, ack int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", "t", "n", strconv.Itoa(i)}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	if err := rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	if read > 0 {
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c1", Streams: []string{stream, ">"}, Count: int64(read)}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if ack > 0 {
		if err := rdb.XAck(ctx, stream, group, ids[:ack]...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestLagCollector(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	seed(ctx, t, rdb, "orders", "workers", 10, 4, 1) // lag 6, pending 3
	seed(ctx, t, rdb, "emails", "workers", 2, 2, 2)  // lag 0, pending 0
	seed(ctx, t, rdb, "audit", "others", 3, 0, 0)    // group "workers" missing
	// A deleted entry the group has not read makes the lag unknown.
	ids := seed(ctx, t, rdb, "holes", "workers", 5, 1, 0)
	if err := rdb.XDel(ctx, "holes", ids[3]).Err(); err != nil {
		t.Fatal(err)
	}

	c, err := metrics.NewLagCollector(rdb, metrics.LagConfig{
		Group: "workers", Streams: []string{"orders", "emails", "audit", "nostream", "holes"}, Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	const want = `
# HELP streamfx_group_lag Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag).
# TYPE streamfx_group_lag gauge
streamfx_group_lag{consumer_group="workers",stream="emails"} 0
streamfx_group_lag{consumer_group="workers",stream="orders"} 6
# HELP streamfx_group_pending Entries delivered to the consumer group and not yet acknowledged (XINFO GROUPS pending).
# TYPE streamfx_group_pending gauge
streamfx_group_pending{consumer_group="workers",stream="emails"} 0
streamfx_group_pending{consumer_group="workers",stream="holes"} 1
streamfx_group_pending{consumer_group="workers",stream="orders"} 3
# HELP streamfx_group_up 1 if XINFO GROUPS answered and the consumer group exists on the stream, else 0.
# TYPE streamfx_group_up gauge
streamfx_group_up{consumer_group="workers",stream="audit"} 0
streamfx_group_up{consumer_group="workers",stream="emails"} 1
streamfx_group_up{consumer_group="workers",stream="holes"} 1
streamfx_group_up{consumer_group="workers",stream="nostream"} 0
streamfx_group_up{consumer_group="workers",stream="orders"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}

	// The values follow Redis at each scrape.
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "c1", Streams: []string{"orders", ">"}, Count: 6}).Err(); err != nil {
		t.Fatal(err)
	}
	const after = `
# HELP streamfx_group_lag Entries of the stream not yet delivered to the consumer group (XINFO GROUPS lag).
# TYPE streamfx_group_lag gauge
streamfx_group_lag{consumer_group="workers",stream="emails"} 0
streamfx_group_lag{consumer_group="workers",stream="orders"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(after), "streamfx_group_lag"); err != nil {
		t.Fatal(err)
	}
}

func TestLagCollectorRedisDown(t *testing.T) {
	t.Parallel()
	// Nothing listens on this port: every stream reports up 0, quickly.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	c, err := metrics.NewLagCollector(rdb, metrics.LagConfig{Group: "g", Streams: []string{"a", "b"}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const want = `
# HELP streamfx_group_up 1 if XINFO GROUPS answered and the consumer group exists on the stream, else 0.
# TYPE streamfx_group_up gauge
streamfx_group_up{consumer_group="g",stream="a"} 0
streamfx_group_up{consumer_group="g",stream="b"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}

func TestNewLagCollectorInvalid(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	cases := []struct {
		name string
		rdb  redis.UniversalClient
		cfg  metrics.LagConfig
	}{
		{"nil client", nil, metrics.LagConfig{Group: "g", Streams: []string{"s"}}},
		{"no group", rdb, metrics.LagConfig{Streams: []string{"s"}}},
		{"no stream", rdb, metrics.LagConfig{Group: "g"}},
		{"empty stream", rdb, metrics.LagConfig{Group: "g", Streams: []string{"s", ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := metrics.NewLagCollector(tc.rdb, tc.cfg); !errors.Is(err, metrics.ErrInvalidConfig) {
				t.Fatalf("error = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestLagCollectorsForTwoGroupsShareARegistry(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	reg := prometheus.NewRegistry()
	for _, g := range []string{"a", "b"} {
		c, err := metrics.NewLagCollector(rdb, metrics.LagConfig{Group: g, Streams: []string{"s"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Register(c); err != nil {
			t.Fatalf("register group %s: %v", g, err)
		}
	}
}
