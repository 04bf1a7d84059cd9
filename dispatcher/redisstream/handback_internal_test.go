package redisstream

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestHandBackSkipsEntriesClaimedSince gives back entries of consumer "a",
// one of which consumer "b" claimed after "a" read it, while "a" read
// another entry after that claim. handBack must make a's entries look idle
// for MinIdle and leave b's alone: still b's, and not idle, so that no
// reclaim takes it from b while b runs it.
func TestHandBackSkipsEntriesClaimedSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	const stream, group, minIdle = "hb", "g", time.Minute
	if err := rdb.XGroupCreateMkStream(ctx, stream, group, "$").Err(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 4 {
		ids = append(ids, rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", "t"}}).Val())
	}
	p, err := NewProcessor(rdb, dispatcher.New(dispatcher.Config{}), ProcessorConfig{
		Streams: []string{stream}, Group: group, Consumer: "a", MinIdle: minIdle, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := newPipeline(p)
	read := func(n int64) []entry {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: "a", Streams: []string{stream, ">"}, Count: n, Block: -1,
		}).Result()
		if err != nil {
			t.Fatal(err)
		}
		return r.flights.claim(stream, toBatch(res[0].Messages).entries)
	}
	// The gaps between the reads and b's claim are measured by Redis (the
	// entries' idle times), and wide enough that the delay between handBack
	// computing its min-idle times and Redis running XCLAIM (up to tens of
	// milliseconds on a loaded machine) cannot close them.
	first := read(3)
	waitIdle(t, rdb, stream, group, ids[0], time.Second)
	if err := rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: stream, Group: group, Consumer: "b", Messages: []string{ids[1]},
	}).Err(); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, rdb, stream, group, ids[1], 300*time.Millisecond)
	last := read(1)

	r.giveBack(job{stream: stream, entries: first})
	r.giveBack(job{stream: stream, entries: last})
	r.handBack()

	pel, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: "-", End: "+", Count: 10}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(pel) != len(ids) {
		t.Fatalf("%d entries pending, want %d", len(pel), len(ids))
	}
	for _, e := range pel {
		handedBack := e.Consumer == "a" && e.Idle >= minIdle
		if want := e.ID != ids[1]; handedBack != want || (!want && e.Consumer != "b") {
			t.Errorf("entry %s: consumer %s, idle %v, deliveries %d; want handed back: %v", e.ID, e.Consumer, e.Idle, e.RetryCount, want)
		}
		if e.RetryCount != 1 {
			t.Errorf("entry %s delivered %d times, want 1 (JUSTID adds none)", e.ID, e.RetryCount)
		}
	}
}

// waitIdle waits until Redis reports the pending entry id idle for at least
// d.
func waitIdle(t *testing.T, rdb redis.UniversalClient, stream, group, id string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		pel, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
			Stream: stream, Group: group, Start: id, End: id, Count: 1,
		}).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(pel) == 1 && pel[0].Idle >= d {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry %s not idle for %v within 15s", id, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
