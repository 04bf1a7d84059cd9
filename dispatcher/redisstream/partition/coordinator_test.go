package partition_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestCoordinatorRebalance runs coordinators as separate clients of one
// Redis through the life of a group: 3 members balance 12 partitions (4
// each), a 4th joins (3 each, and every moved partition is assigned to its
// new owner only after its old owner's Revoked returned), one leaves
// gracefully (its leases are released when Shutdown returns), and one dies
// (its client closed: nothing released) and its partitions move once its
// leases expire. Rebalance times are logged, not asserted.
func TestCoordinatorRebalance(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 12)
	a, b, c := g.join("a", 0), g.join("b", 0), g.join("c", 0)
	took := g.waitBalanced("3 members hold 4 partitions each", a, b, c)
	t.Logf("3 members balanced in %v: %s", took, describe(a, b, c))

	// Join: the old owners take 200ms to drain each revoked partition.
	for _, m := range []*member{a, b, c} {
		m.setRevokeDelay(200 * time.Millisecond)
	}
	d := g.join("d", 0)
	took = g.waitBalanced("4 members hold 3 partitions each", a, b, c, d)
	t.Logf("d joined, balanced in %v: %s", took, describe(a, b, c, d))
	checkHandovers(t, g.j.all())

	// Leave: b's Shutdown revokes and releases at once.
	gone := b.holding()
	if err := b.c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	owners := g.owners()
	for _, i := range gone {
		if owners[i] == "b" {
			t.Errorf("partition %d still leased to b after its Shutdown returned", i)
		}
	}
	took = g.waitBalanced("3 members hold 4 partitions each after b left", a, c, d)
	t.Logf("b left, balanced in %v: %s", took, describe(a, c, d))

	// Death: c's client closes; its leases and membership expire.
	dead := c.holding()
	_ = c.rdb.Close()
	took = g.waitBalanced("2 members hold 6 partitions each after c died", a, d)
	t.Logf("c died holding %v, balanced in %v (LeaseTTL %v): %s", dead, took, testTTL, describe(a, d))
	// c's Lost calls may come after the takeover: its timer runs late on
	// a loaded machine, which is what fencing is for. Among the live
	// members every handover is in order.
	checkHandovers(t, slices.DeleteFunc(g.j.all(), func(e event) bool { return e.consumer == "c" }))
	for _, e := range g.j.all() {
		if e.kind == "lost" && e.consumer != "c" {
			t.Errorf("%s lost partition %d: only the dead c may lose leases here", e.consumer, e.lease.Partition)
		}
	}
	streamtest.Eventually(t, waitTimeout, "a's status shows every partition owned, c gone", func() bool {
		s := a.c.Status()
		return len(s.Unowned) == 0 && slices.Equal(s.Members, []string{"a", "d"}) &&
			slices.Equal(s.Owned, a.holding()) && s.Rebalances >= 3 && s.LeaseLosses == 0
	})
}

// checkHandovers checks, for every partition, that each Assigned comes
// after the previous owner's Revoked returned or its Lost (of the events
// given), and that fencing tokens grow.
func checkHandovers(t *testing.T, events []event) {
	t.Helper()
	type holder struct {
		consumer string
		token    int64
		open     bool
	}
	last := make(map[int]*holder)
	for _, e := range events {
		h := last[e.lease.Partition]
		switch e.kind {
		case "assigned":
			if h != nil && h.open {
				t.Errorf("partition %d assigned to %s while %s still held it (not revoked or lost)",
					e.lease.Partition, e.consumer, h.consumer)
			}
			if h != nil && e.lease.Token <= h.token {
				t.Errorf("partition %d: token %d after token %d", e.lease.Partition, e.lease.Token, h.token)
			}
			last[e.lease.Partition] = &holder{consumer: e.consumer, token: e.lease.Token, open: true}
		case "revoked", "lost":
			if h != nil && h.consumer == e.consumer && h.token == e.lease.Token {
				h.open = false
			}
		}
	}
}

// TestCoordinatorFencing checks that a consumer whose lease another
// consumer took can no longer acknowledge nor append: Ack and Append fail
// with ErrLeaseLost, the entry stays pending and nothing is appended, the
// Listener is told Lost and Holds turns false; the new owner's Ack and
// Append succeed.
func TestCoordinatorFencing(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 1)
	ctx := context.Background()
	// old holds the partition; new joins and, holding nothing, keeps none.
	old := g.join("old", 0)
	streamtest.Eventually(t, waitTimeout, "old holds partition 0", func() bool { return len(old.holding()) == 1 })
	lost := old.lease(0)
	next := g.join("new", 0)
	stream := g.stream.Key(0)
	if err := g.admin.XGroupCreateMkStream(ctx, stream, group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	id := g.admin.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", "e"}}).Val()
	if err := g.admin.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "old", Streams: []string{stream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}

	// The lease vanishes as if it expired while old was paused. With both
	// members holding nothing, the assignment gives the partition to "new"
	// (names break ties), which takes it.
	if err := g.admin.Del(ctx, stream+":lease:"+group).Err(); err != nil {
		t.Fatal(err)
	}
	streamtest.Eventually(t, waitTimeout, "new holds partition 0", func() bool { return len(next.holding()) == 1 })
	n, err := old.c.Ack(ctx, lost, id)
	if !errors.Is(err, partition.ErrLeaseLost) || n != 0 {
		t.Errorf("old's Ack after new took the partition = %d, %v; want ErrLeaseLost", n, err)
	}
	if p := streamtest.Pending(t, g.admin, stream, group); p != 1 {
		t.Errorf("pending entries after the fenced Ack = %d, want 1", p)
	}
	dead := g.stream.DeadLetter(0)
	if err := old.c.Append(ctx, lost, dead, []string{"type", "e"}); !errors.Is(err, partition.ErrLeaseLost) {
		t.Errorf("old's Append after new took the partition = %v; want ErrLeaseLost", err)
	}
	if n := g.admin.XLen(ctx, dead).Val(); n != 0 {
		t.Errorf("dead-letter entries after the fenced Append = %d, want 0", n)
	}
	streamtest.Eventually(t, waitTimeout, "old is told it lost partition 0", func() bool {
		return slices.ContainsFunc(g.j.all(), func(e event) bool { return e.consumer == "old" && e.kind == "lost" })
	})
	if old.c.Holds(lost) {
		t.Error("old's Holds(lease) is true after the loss")
	}
	taken := next.lease(0)
	if taken.Token <= lost.Token || !next.c.Holds(taken) {
		t.Errorf("new's lease %+v after old's %+v: want a larger token, held", taken, lost)
	}
	if n, err := next.c.Ack(ctx, taken, id); err != nil || n != 1 {
		t.Errorf("new's Ack = %d, %v; want 1", n, err)
	}
	if err := next.c.Append(ctx, taken, dead, []string{"type", "e"}, []string{"type", "f", "k", "v"}); err != nil {
		t.Errorf("new's Append = %v", err)
	}
	if n := g.admin.XLen(ctx, dead).Val(); n != 2 {
		t.Errorf("dead-letter entries after new's Append = %d, want 2", n)
	}
}

// TestCoordinatorLosesLeaseWithoutRedis checks that a consumer that cannot
// reach Redis counts its leases lost by itself (before Redis lets another
// consumer take them), and that another consumer then takes them.
func TestCoordinatorLosesLeaseWithoutRedis(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 4)
	a := g.join("a", 0)
	streamtest.Eventually(t, waitTimeout, "a holds 4 partitions", func() bool { return len(a.holding()) == 4 })
	_ = a.rdb.Close()
	streamtest.Eventually(t, waitTimeout, "a is told it lost all 4", func() bool { return len(a.holding()) == 0 })
	b := g.join("b", 0)
	g.waitBalanced("b holds all 4", b)
	if s := a.c.Status(); s.LeaseLosses != 4 {
		t.Errorf("a's LeaseLosses = %d, want 4", s.LeaseLosses)
	}
	checkHandovers(t, g.j.all())
}

func TestNewCoordinatorRejects(t *testing.T) {
	t.Parallel()
	s, err := partition.New("orders", 2)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for name, cfg := range map[string]partition.CoordinatorConfig{
		"no stream":   {Group: "g", Consumer: "c"},
		"no group":    {Stream: s, Consumer: "c"},
		"no consumer": {Stream: s, Group: "g"},
		"tiny TTL":    {Stream: s, Group: "g", Consumer: "c", LeaseTTL: time.Millisecond},
	} {
		if _, err := partition.NewCoordinator(rdb, cfg); !errors.Is(err, partition.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	c, err := partition.NewCoordinator(rdb, partition.CoordinatorConfig{Stream: s, Group: "g", Consumer: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err == nil {
		t.Error("Start without a reachable Redis succeeded")
	}
	if err := c.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown before a successful Start: %v", err)
	}
	if err := c.Start(context.Background()); !errors.Is(err, partition.ErrClosed) {
		t.Errorf("Start after Shutdown: %v, want ErrClosed", err)
	}
}
