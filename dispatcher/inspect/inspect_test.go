package inspect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

func newInspector(t *testing.T) (*Inspector, *redis.Client) {
	t.Helper()
	rdb := redistest.Start(t).Client(t)
	in, err := New(rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return in, rdb
}

// TestReplayAfterCrash replays a dead letter whose entry was published by a
// replay that stopped before removing it: the second run publishes nothing
// and removes the dead letter.
func TestReplayAfterCrash(t *testing.T) {
	t.Parallel()
	in, rdb := newInspector(t)
	ctx := context.Background()
	msg := dispatcher.NewMessage("orders", "5-0", map[string]string{"type": "order.paid", "n": "json:1"})
	fields := dispatcher.DeadLetterFields(msg, dispatcher.RouteFailure{Route: "r", Err: errors.New("boom")}, 3, time.Now())
	deadID := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders:dead", Values: fields}).Val()
	d, err := in.DeadLetter(ctx, "orders:dead", deadID)
	if err != nil {
		t.Fatal(err)
	}

	// The first run published, then "crashed" before its XDEL.
	first, published, err := in.publishOnce(ctx, "orders", sameSlotKey("orders", replayMarkerSuffix+d.replayKey()), d.Fields)
	if err != nil || !published {
		t.Fatalf("publishOnce = %s, %v, %v", first, published, err)
	}
	res, err := in.Replay(ctx, "orders:dead", Filter{}, ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Published || !res[0].Removed || res[0].EntryID != first {
		t.Fatalf("Replay after a crash = %+v, want nothing published, the dead letter removed, entry %s reported", res, first)
	}
	if n := rdb.XLen(ctx, "orders").Val(); n != 1 {
		t.Errorf("orders holds %d entries, want the one published before the crash", n)
	}
	if n := rdb.XLen(ctx, "orders:dead").Val(); n != 0 {
		t.Errorf("orders:dead holds %d entries, want 0", n)
	}
	if ttl := rdb.TTL(ctx, "{orders}:replayed:orders/5-0").Val(); ttl <= 0 {
		t.Errorf("replay marker TTL = %v, want it set (7 days)", ttl)
	}
}

// TestTrimPointRule checks the trim point over groups with pending entries,
// unread entries and sequence numbers that carry.
func TestTrimPointRule(t *testing.T) {
	t.Parallel()
	in, rdb := newInspector(t)
	ctx := context.Background()
	for _, id := range []string{"5-9", "5-18446744073709551615", "7-0", "8-0"} {
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: id, Values: []string{"type", "x"}})
	}
	cases := []struct {
		name   string
		setup  func()
		want   string
		remove int64
	}{
		{"one group read up to 5-9", func() { rdb.XGroupCreate(ctx, "s", "a", "5-9") }, "5-10", 1},
		{"sequence carries into the next millisecond", func() { rdb.XGroupSetID(ctx, "s", "a", "5-18446744073709551615") }, "6-0", 2},
		{"a pending entry holds the point", func() {
			rdb.XGroupSetID(ctx, "s", "a", "0")
			rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "a", Consumer: "c", Streams: []string{"s", ">"}, Count: 4})
			rdb.XAck(ctx, "s", "a", "5-9", "5-18446744073709551615", "8-0")
		}, "7-0", 2},
		{"the slowest group wins", func() { rdb.XGroupCreate(ctx, "s", "b", "5-9") }, "5-10", 1},
	}
	for _, c := range cases {
		c.setup()
		res, err := in.Trim(ctx, "s", TrimOptions{DryRun: true})
		if err != nil || res.MinID != c.want || res.Removed != c.remove {
			t.Errorf("%s: Trim dry run = %+v, %v; want point %s removing %d", c.name, res, err, c.want, c.remove)
		}
	}
	if n := rdb.XLen(ctx, "s").Val(); n != 4 {
		t.Errorf("dry runs removed entries: %d left", n)
	}
}

// TestLagCounted checks the lag Status counts when Redis cannot tell it
// (an entry the group has not read was deleted).
func TestLagCounted(t *testing.T) {
	t.Parallel()
	in, rdb := newInspector(t)
	ctx := context.Background()
	for _, id := range []string{"1-0", "2-0", "3-0", "4-0"} {
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: id, Values: []string{"type", "x"}})
	}
	rdb.XGroupCreate(ctx, "s", "g", "1-0")
	rdb.XDel(ctx, "s", "2-0")
	st, err := in.Status(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	g := st[0].Groups[0]
	if g.Lag != 2 || g.LagSource != LagCounted {
		t.Errorf("lag = %d (%s), want 2 counted: 3-0 and 4-0", g.Lag, g.LagSource)
	}
	in.cfg.LagCountLimit = 1
	st, _ = in.Status(ctx, "s")
	if g := st[0].Groups[0]; g.Lag != 1 || g.LagSource != LagAtLeast {
		t.Errorf("lag with a count limit of 1 = %d (%s), want at least 1", g.Lag, g.LagSource)
	}
}

func TestSameSlotKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"orders":     "{orders}:m",
		"{orders}":   "{orders}:m",
		"a{b}c":      "a{b}c:m",
		"a{}b":       "{a{}b}:m",
		"{orders":    "{{orders}:m",
		"x:{y}:dead": "x:{y}:dead:m",
	} {
		if got := sameSlotKey(key, ":m"); got != want {
			t.Errorf("sameSlotKey(%q) = %q, want %q", key, got, want)
		}
	}
}
