package partition_test

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestCoordinatorTokensGrowAcrossRestart crashes Redis (persistence off:
// the leases and the token counters are gone when it restarts) under a
// consumer that holds a partition. It takes the partition again with a
// larger fencing token than the one it lost, so that the lost lease still
// fences: an Ack with it acknowledges nothing, though the same consumer
// holds the partition again.
func TestCoordinatorTokensGrowAcrossRestart(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 1)
	ctx := context.Background()
	a := g.join("a", 0)
	streamtest.Eventually(t, waitTimeout, "a holds partition 0", func() bool { return len(a.holding()) == 1 })
	before := a.lease(0)

	g.srv.Kill(syscall.SIGKILL)
	g.srv.Restart(t)
	var after partition.Lease
	streamtest.Eventually(t, waitTimeout, "a loses partition 0, then takes it again", func() bool {
		events := g.j.all()
		i := slices.IndexFunc(events, func(e event) bool { return e.kind == "lost" })
		if i < 0 {
			return false
		}
		j := slices.IndexFunc(events[i:], func(e event) bool { return e.kind == "assigned" })
		if j < 0 {
			return false
		}
		after = events[i+j].lease
		return true
	})
	if after.Token <= before.Token {
		t.Errorf("token %d after the restart, %d before: want a larger one", after.Token, before.Token)
	}

	stream := g.stream.Key(0)
	if err := g.admin.XGroupCreateMkStream(ctx, stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	id := g.admin.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", "e"}}).Val()
	if err := g.admin.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "a", Streams: []string{stream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := a.c.Ack(ctx, before, id); !errors.Is(err, partition.ErrLeaseLost) || n != 0 {
		t.Errorf("Ack with the lease lost in the restart = %d, %v; want ErrLeaseLost", n, err)
	}
	if n, err := a.c.Ack(ctx, after, id); err != nil || n != 1 {
		t.Errorf("Ack with the lease taken after the restart = %d, %v; want 1", n, err)
	}
	checkHandovers(t, g.j.all())
}
