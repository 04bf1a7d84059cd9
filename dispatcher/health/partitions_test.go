package health_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/health"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestPartitionsCheck runs the check on a consumer of a 4-partition
// stream: it passes once the consumer owns them all; it fails with
// ErrUnowned while a member that never takes its share (a "ghost" added
// to the members by hand) leaves 2 partitions without owner for longer
// than maxUnowned, and passes again once the ghost is gone; it fails with
// ErrStale once the consumer cannot reach Redis.
func TestPartitionsCheck(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	stream, err := partition.New("orders", 4)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	c, err := partition.NewCoordinator(rdb, partition.CoordinatorConfig{
		Stream: stream, Group: "g", Consumer: "a", LeaseTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = c.Shutdown(sctx)
		_ = rdb.Close()
	})
	check := health.Partitions(c, 500*time.Millisecond)
	wait := func(what string, want error) {
		t.Helper()
		streamtest.Eventually(t, 30*time.Second, what, func() bool {
			err := check(ctx)
			if want == nil {
				return err == nil
			}
			return errors.Is(err, want)
		})
	}
	wait("the check passes once a owns every partition", nil)
	// The ghost's heartbeat expires in the year 2286: it stays a member.
	if err := admin.ZAdd(ctx, "orders:members:g", redis.Z{Score: 1e13, Member: "ghost"}).Err(); err != nil {
		t.Fatal(err)
	}
	wait("the check fails with ErrUnowned", health.ErrUnowned)
	t.Logf("with a ghost member: %v", check(ctx))
	if err := admin.ZRem(ctx, "orders:members:g", "ghost").Err(); err != nil {
		t.Fatal(err)
	}
	wait("the check passes again", nil)
	_ = rdb.Close()
	wait("the check fails with ErrStale", health.ErrStale)
}
