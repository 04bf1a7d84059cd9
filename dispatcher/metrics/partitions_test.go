package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/metrics"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestPartitionCollector checks the ownership metrics of two consumers of
// a 4-partition stream, separate clients of one Redis: 2 partitions each
// and none unowned once balanced; when one dies (client closed), the
// other reports all 4 and the dead one its 2 lease losses; once the other
// stopped gracefully (Shutdown returned), it reports none.
func TestPartitionCollector(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stream, err := partition.New("orders", 4)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	start := func(name string) (*partition.Coordinator, *redis.Client) {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		c, err := partition.NewCoordinator(rdb, partition.CoordinatorConfig{
			Stream: stream, Group: "g", Consumer: name, LeaseTTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.Shutdown(ctx)
			_ = rdb.Close()
		})
		reg.MustRegister(metrics.NewPartitionCollector(c))
		return c, rdb
	}
	a, _ := start("a")
	_, brdb := start("b")
	value := func(name, consumer string) float64 {
		if v, ok := gathered(t, reg, name, map[string]string{"consumer": consumer}); ok {
			return v
		}
		return -1
	}
	streamtest.Eventually(t, 30*time.Second, "a and b report 2 partitions each, none unowned", func() bool {
		return value("streamfx_partitions_owned", "a") == 2 && value("streamfx_partitions_owned", "b") == 2 &&
			value("streamfx_partitions_unowned", "a") == 0 && value("streamfx_partitions_unowned", "b") == 0
	})
	if n := value("streamfx_partition_rebalances_total", "b"); n < 1 {
		t.Errorf("b's rebalances = %v, want at least 1", n)
	}
	_ = brdb.Close()
	streamtest.Eventually(t, 30*time.Second, "a reports 4 partitions, b 2 lease losses", func() bool {
		return value("streamfx_partitions_owned", "a") == 4 && value("streamfx_partition_lease_losses_total", "b") == 2 &&
			value("streamfx_partition_lease_losses_total", "a") == 0
	})
	if n, err := testutil.GatherAndCount(reg, "streamfx_partitions_owned"); err != nil || n != 2 {
		t.Errorf("streamfx_partitions_owned series = %d, %v; want 2 (one per consumer)", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := value("streamfx_partitions_owned", "a"); n != 0 {
		t.Errorf("a's owned partitions after its Shutdown returned = %v, want 0", n)
	}
}
