package partition_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestCoordinatorStatusFollowsOwnership checks that Status().Owned, which
// health checks and the partition metrics read, changes with this
// consumer's partitions as they change, not at its next check: a partition
// is listed when Listener.Assigned is called (before its reader starts),
// still listed while Revoked runs (the lease holds until then), and no
// longer listed once its lease is released, in a graceful handover and in
// Shutdown.
func TestCoordinatorStatusFollowsOwnership(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 4)
	a := g.join("a", 0)
	g.waitBalanced("a holds all 4", a)
	if s := a.c.Status(); !slices.Equal(s.Owned, []int{0, 1, 2, 3}) {
		t.Errorf("a's Owned = %v, want [0 1 2 3]", s.Owned)
	}

	// Handover: b joins; a's Revoked of the partitions given to b runs
	// until its context ends (LeaseTTL), then a releases them.
	a.setRevokeDelay(time.Hour)
	b := g.join("b", 0)
	var moved []int
	streamtest.Eventually(t, waitTimeout, "a revokes 2 partitions", func() bool {
		moved = moved[:0]
		for _, e := range g.j.all() {
			if e.consumer == "a" && e.kind == "revoked" {
				moved = append(moved, e.lease.Partition)
			}
		}
		return len(moved) == 2
	})
	for _, i := range moved {
		streamtest.Eventually(t, waitTimeout, "a releases its lease", func() bool { return g.owners()[i] != "a" })
		if owned := a.c.Status().Owned; slices.Contains(owned, i) {
			t.Errorf("a's Owned = %v after a released partition %d", owned, i)
		}
	}
	g.waitBalanced("a and b hold 2 each", a, b)

	// Leave: once Shutdown returned, a owns nothing.
	a.setRevokeDelay(0)
	if err := a.c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if owned := a.c.Status().Owned; len(owned) != 0 {
		t.Errorf("a's Owned = %v after its Shutdown returned", owned)
	}
	g.waitBalanced("b holds all 4", b)
	for _, m := range []*member{a, b} {
		if u := m.unlistedAtAssign(); len(u) > 0 {
			t.Errorf("%s's Owned did not list partitions %v when they were assigned", m.name, u)
		}
	}
}

// TestCoordinatorStatusAfterAbortedShutdown calls Shutdown with a context
// that has already ended: the Revoked calls get that context and return at
// once, the leases are left to expire, and once Shutdown returned the
// Coordinator owns nothing and holds no lease, though the loop may have
// exited before it saw a Revoked return.
func TestCoordinatorStatusAfterAbortedShutdown(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 4)
	a := g.join("a", time.Hour)
	g.waitBalanced("a holds all 4", a)
	var leases []partition.Lease
	for _, i := range a.holding() {
		leases = append(leases, a.lease(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.c.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with an ended context = %v, want context.Canceled", err)
	}
	if owned := a.c.Status().Owned; len(owned) != 0 {
		t.Errorf("a's Owned = %v after its Shutdown returned", owned)
	}
	for _, l := range leases {
		if a.c.Holds(l) {
			t.Errorf("a's Holds(lease of partition %d) after its Shutdown returned", l.Partition)
		}
	}
}

// TestCoordinatorUnreadableLease gives partition 3's lease key another
// type (a hash): that partition cannot be leased and shows as unowned,
// while the consumer takes the other partitions as usual and its checks
// go on.
func TestCoordinatorUnreadableLease(t *testing.T) {
	t.Parallel()
	g := newGroup(t, 4)
	if err := g.admin.HSet(context.Background(), g.stream.Key(3)+":lease:"+group, "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	a := g.join("a", 0)
	streamtest.Eventually(t, waitTimeout, "a holds partitions 0, 1 and 2", func() bool {
		return slices.Equal(a.holding(), []int{0, 1, 2})
	})
	since := time.Now()
	streamtest.Eventually(t, waitTimeout, "a later check shows partitions 0, 1 and 2 owned and 3 unowned", func() bool {
		s := a.c.Status()
		return s.At.After(since) && slices.Equal(s.Owned, []int{0, 1, 2}) && slices.Equal(s.Unowned, []int{3})
	})
}
