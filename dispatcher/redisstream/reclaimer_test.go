package redisstream

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// newTestReclaimer returns the reclaimer of e's streams, not started.
func newTestReclaimer(e *stageEnv) *reclaimer {
	return &reclaimer{rdb: e.rdb, cfg: e.cfg, log: e.cfg.Logger, feed: e.feed, flights: e.flights,
		health: &health{log: e.cfg.Logger}}
}

// TestReclaimerTakesOverIdle: an entry another consumer left pending for
// MinIdle is claimed by this consumer and sent to the scheduler with its
// delivery count (2: the other consumer's and the claim).
func TestReclaimerTakesOverIdle(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 2)
	dead := e.readAs("s", "dead", 2)
	runStage(t, func(ctx context.Context) { _ = newTestReclaimer(e).run(ctx) })
	var got []entry
	for len(got) < 2 {
		got = append(got, e.job().entries...)
	}
	if !slices.Equal(ids(got), dead) {
		t.Fatalf("reclaimed %v, want %v", ids(got), dead)
	}
	for _, en := range got {
		if en.attempts != 2 {
			t.Errorf("entry %s reclaimed with attempts %d, want 2", en.id, en.attempts)
		}
		if !e.held("s", en.id) {
			t.Errorf("entry %s reclaimed but not held", en.id)
		}
	}
	for id, p := range e.pendingOf("s") {
		if p.Consumer != "c1" {
			t.Errorf("entry %s pending for %s, want c1", id, p.Consumer)
		}
	}
}

// TestReclaimerRefreshesHeld: an entry this process holds for longer than
// MinIdle (a slow handler) keeps a fresh lease: its idle time is reset by
// the reclaimer, its delivery count stays 1, and it is never sent again.
func TestReclaimerRefreshesHeld(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 1)
	held := e.readAs("s", "c1", 1)
	e.flights.claim("s", []entry{{id: held[0]}})
	start := time.Now()
	runStage(t, func(ctx context.Context) { _ = newTestReclaimer(e).run(ctx) })
	// Wait for several MinIdle: a lease that were not refreshed would be
	// reclaimed (and its delivery counted) by the reclaimer itself.
	e.waitFor("three MinIdle", func() bool { return time.Since(start) > 3*e.cfg.MinIdle })
	p := e.pendingOf("s")[held[0]]
	if p.RetryCount != 1 || p.Consumer != "c1" {
		t.Errorf("held entry: %d deliveries, consumer %s; want 1, c1", p.RetryCount, p.Consumer)
	}
	if p.Idle >= e.cfg.MinIdle {
		t.Errorf("held entry idle for %v, want less than MinIdle %v", p.Idle, e.cfg.MinIdle)
	}
	select {
	case u := <-e.out:
		t.Errorf("held entries %v sent again", ids(u.entries))
	default:
	}
}

// TestReclaimerRefreshesWhileSchedulerFull: the scheduler is full (it takes
// no batch: backpressure) when the reclaimer takes over an entry another
// consumer left idle, so the reclaimer waits to hand it over. Meanwhile an
// entry this process holds (a slow handler, or one queued behind the full
// scheduler) must keep a fresh lease, as in TestReclaimerRefreshesHeld:
// else another consumer reclaims it and runs it while it runs here.
func TestReclaimerRefreshesWhileSchedulerFull(t *testing.T) {
	e := newStageEnv(t, "s")
	e.cfg.MinIdle = 2 * time.Second // the refresh (every 20ms past MinIdle/2) has a wide margin on a loaded machine
	e.feed.out = make(chan job)     // never read: the scheduler is full
	e.add("s", "t", 2)
	held := e.readAs("s", "c1", 1)
	e.flights.claim("s", []entry{{id: held[0]}})
	dead := e.readAs("s", "dead", 1)
	start := time.Now()
	runStage(t, func(ctx context.Context) { _ = newTestReclaimer(e).run(ctx) })
	e.waitFor("the dead consumer's entry taken over", func() bool { return e.held("s", dead[0]) })
	e.waitFor("three MinIdle", func() bool { return time.Since(start) > 3*e.cfg.MinIdle })
	p := e.pendingOf("s")[held[0]]
	if p.Idle >= e.cfg.MinIdle {
		t.Errorf("held entry idle for %v while the reclaimer waits for the scheduler, want less than MinIdle %v",
			p.Idle, e.cfg.MinIdle)
	}
}

// TestReclaimerRefreshQuietOnNoGroup: a refresh that meets a deleted
// consumer group logs no warning about slow handlers: a missing group is
// the reader's to recreate (and say so), not a refusal of XCLAIM.
func TestReclaimerRefreshQuietOnNoGroup(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 1)
	held := e.readAs("s", "c1", 1)
	e.flights.claim("s", []entry{{id: held[0]}})
	if err := e.rdb.XGroupDestroy(context.Background(), "s", "g").Err(); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	r := newTestReclaimer(e)
	r.log = zap.New(core)
	e.waitFor("the entry held for MinIdle/2", func() bool {
		return len(e.flights.stale("s", time.Now().Add(-e.cfg.MinIdle/2))) == 1
	})
	r.refresh(context.Background(), "s")
	if n := logs.FilterMessageSnippet("cannot refresh").Len(); n != 0 {
		t.Errorf("%d warnings about the refresh of a deleted group, want none", n)
	}
}

// TestReclaimerStopsWithoutLease: while its fence says the lease does not
// hold, the reclaimer claims nothing (the idle entries are the new
// owner's) and refreshes nothing; once it holds again, it claims them.
func TestReclaimerStopsWithoutLease(t *testing.T) {
	e := newStageEnv(t, "s")
	f := &stubFence{}
	e.cfg.fence = f
	e.add("s", "t", 2)
	dead := e.readAs("s", "dead", 2)
	read := time.Now()
	runStage(t, func(ctx context.Context) { _ = newTestReclaimer(e).run(ctx) })
	// With a lease, the entries would be claimed once idle for MinIdle.
	e.waitFor("twice MinIdle", func() bool { return time.Since(read) > 2*e.cfg.MinIdle })
	e.waitAsked(f, 3)
	for id, p := range e.pendingOf("s") {
		if p.Consumer != "dead" || p.RetryCount != 1 {
			t.Fatalf("entry %s claimed without a lease: owner %s, delivery count %d", id, p.Consumer, p.RetryCount)
		}
	}

	f.held.Store(true)
	var got []entry
	for len(got) < 2 {
		got = append(got, e.job().entries...)
	}
	if !slices.Equal(ids(got), dead) {
		t.Fatalf("reclaimed %v once the lease held, want %v", ids(got), dead)
	}
}
