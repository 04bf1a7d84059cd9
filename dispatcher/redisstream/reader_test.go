package redisstream

import (
	"context"
	"slices"
	"testing"
	"time"
)

// newTestReader returns the reader of stream in e, not started.
func newTestReader(e *stageEnv, stream string) *reader {
	return &reader{stream: stream, rdb: e.rdb, cfg: e.cfg, log: e.cfg.Logger, feed: e.feed,
		health: &health{log: e.cfg.Logger}, markRead: func() {},
		createGroup: func(ctx context.Context, s string) error {
			return e.rdb.XGroupCreateMkStream(ctx, s, "g", "0").Err()
		}}
}

// TestReaderOwnPendingFirst: the reader sends this consumer's own pending
// entries first, with their delivery counts (re-reading them is a
// delivery), then the new ones, each delivered once, all claimed in the in-flight set; a pending entry
// deleted from the stream goes to the settler to be acknowledged.
func TestReaderOwnPendingFirst(t *testing.T) {
	e := newStageEnv(t, "s")
	old := e.add("s", "t", 3)
	e.readAs("s", "c1", 3) // pending for c1, delivered once
	if err := e.rdb.XDel(context.Background(), "s", old[2]).Err(); err != nil {
		t.Fatal(err)
	}
	fresh := e.add("s", "t", 2)
	r := newTestReader(e, "s")
	runStage(t, func(ctx context.Context) { _ = r.run(ctx) })

	first := e.job()
	if got := ids(first.entries); !slices.Equal(got, old[:2]) {
		t.Fatalf("first batch %v, want the own pending entries %v", got, old[:2])
	}
	for _, en := range first.entries {
		if en.attempts != 2 || en.values["type"] != "t" { // the first read and this one (XPENDING's count)
			t.Errorf("pending entry %s: attempts %d, values %v; want 2 deliveries and its fields", en.id, en.attempts, en.values)
		}
	}
	select {
	case d := <-e.deleted:
		if d.stream != "s" || !slices.Equal(d.ids, old[2:]) {
			t.Errorf("deleted %v of %s, want %v", d.ids, d.stream, old[2:])
		}
	case <-time.After(stageWait):
		t.Error("the pending entry deleted from the stream was not sent to be acknowledged")
	}
	second := e.job()
	if got := ids(second.entries); !slices.Equal(got, fresh) {
		t.Fatalf("second batch %v, want the new entries %v", got, fresh)
	}
	for _, id := range append(old[:2], fresh...) {
		if !e.held("s", id) {
			t.Errorf("entry %s sent but not in the in-flight set", id)
		}
	}
	if p := e.pendingOf("s"); len(p) != 5 || p[fresh[0]].Consumer != "c1" {
		t.Errorf("pending %v, want the 4 entries sent and the deleted one, for c1", p)
	}
}

// TestReaderRecreatesGroup: a group deleted while the reader runs is
// recreated, and the reader goes on with entries added afterwards.
func TestReaderRecreatesGroup(t *testing.T) {
	e := newStageEnv(t, "s")
	r := newTestReader(e, "s")
	runStage(t, func(ctx context.Context) { _ = r.run(ctx) })
	first := e.add("s", "t", 1)
	if got := ids(e.job().entries); !slices.Equal(got, first) {
		t.Fatalf("sent %v, want %v", got, first)
	}
	if err := e.rdb.XGroupDestroy(context.Background(), "s", "g").Err(); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the group recreated", func() bool {
		groups, err := e.rdb.XInfoGroups(context.Background(), "s").Result()
		return err == nil && len(groups) == 1
	})
	later := e.add("s", "t", 1)
	e.waitFor("the entry added after the recreation", func() bool {
		select {
		case u := <-e.out:
			return slices.Contains(ids(u.entries), later[0])
		default:
			return false
		}
	})
}

// TestReaderStopsWithoutLease: while its fence says the lease does not
// hold (a PartitionedProcessor's partition, after a pause longer than the
// lease), the reader reads nothing, so that the new owner's entries are
// not delivered to this consumer; once it holds again, reading resumes.
func TestReaderStopsWithoutLease(t *testing.T) {
	e := newStageEnv(t, "s")
	f := &stubFence{}
	f.held.Store(true)
	e.cfg.fence = f
	r := newTestReader(e, "s")
	runStage(t, func(ctx context.Context) { _ = r.run(ctx) })
	first := e.add("s", "t", 1)
	if got := ids(e.job().entries); !slices.Equal(got, first) {
		t.Fatalf("sent %v, want %v", got, first)
	}

	f.held.Store(false)
	e.waitAsked(f, 2) // it looked once more after the read in progress, and again
	later := e.add("s", "t", 2)
	e.waitAsked(f, 3)
	if n := len(e.pendingOf("s")); n != 1 {
		t.Fatalf("%d entries delivered to this consumer without a lease, want only the first", n)
	}

	f.held.Store(true)
	var got []entry
	for len(got) < 2 {
		got = append(got, e.job().entries...)
	}
	if !slices.Equal(ids(got), later) {
		t.Fatalf("sent %v once the lease held again, want %v", ids(got), later)
	}
}
