package redisstream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestPublishDedup checks that a second publish with the same DedupID to the
// same stream writes nothing and returns the first entry's ID, with Publish
// and PublishBatch, and that other streams, other keys and events without
// a key are written.
func TestPublishDedup(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	first, err := pub.Publish(ctx, "dedup", "a", map[string]any{"n": 1}, redisstream.DedupID("k1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := pub.Publish(ctx, "dedup", "a", map[string]any{"n": 2}, redisstream.DedupID("k1"))
	if err != nil || again != first {
		t.Fatalf("second Publish with key k1 = %q, %v; want %q", again, err, first)
	}
	other, err := pub.Publish(ctx, "dedup:other", "a", nil, redisstream.DedupID("k1"))
	if err != nil || other == "" {
		t.Fatalf("Publish with key k1 to another stream = %q, %v", other, err)
	}
	ids, err := pub.PublishBatch(ctx, "dedup", []redisstream.Event{
		{Type: "b", DedupID: "k1"}, {Type: "b", DedupID: "k2"}, {Type: "b"}, {Type: "b", DedupID: "k2"}, {Type: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != first || ids[3] != ids[1] || ids[2] == ids[4] {
		t.Errorf("batch IDs %v: want [%s k2 x k2 y] with x != y", ids, first)
	}
	msgs, err := rdb.XRange(ctx, "dedup", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.ID)
	}
	if want := []string{first, ids[1], ids[2], ids[4]}; !slices.Equal(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	checkFields(t, msgs[0].Values, map[string]string{"type": "a", "n": "json:1"})
	keys := rdb.Keys(ctx, redisstream.DedupKeyPattern("dedup")).Val()
	if len(keys) == 0 || len(keys) > 2 {
		t.Fatalf("dedup hashes %v: want one or two (a window may have begun meanwhile)", keys)
	}
	if ttl := rdb.PTTL(ctx, keys[len(keys)-1]).Val(); ttl <= 0 || ttl > 4*time.Minute {
		t.Errorf("dedup hash TTL %v, want two 2-minute windows at most", ttl)
	}
}

// TestPublishDedupLargeBatch publishes a batch of more keys than Lua can
// unpack at once (8,000) twice, the second time with 500 of them repeated
// before the others: each payload is written once, and every event of a
// key gets the first one's ID.
func TestPublishDedupLargeBatch(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	events := streamtest.KeyedEvents("a", "big", 8500)
	first, err := pub.PublishBatch(ctx, "large", events)
	if err != nil {
		t.Fatal(err)
	}
	again, err := pub.PublishBatch(ctx, "large", append(events[8000:], events...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again[500:], first) || !slices.Equal(again[:500], first[8000:]) {
		t.Errorf("the second batch returned other IDs than the first")
	}
	if n := rdb.XLen(ctx, "large").Val(); n != 8500 {
		t.Errorf("XLEN = %d, want 8500", n)
	}
	recorded := int64(0)
	for _, k := range rdb.Keys(ctx, redisstream.DedupKeyPattern("large")).Val() {
		recorded += rdb.HLen(ctx, k).Val()
	}
	if recorded != 8500 {
		t.Errorf("%d dedup keys recorded, want 8500", recorded)
	}
}

// TestPublishDedupWindow checks that a key is forgotten after the window:
// a publish with it writes again.
func TestPublishDedupWindow(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{DedupWindow: 50 * time.Millisecond})
	first, err := pub.Publish(ctx, "window", "a", nil, redisstream.DedupID("k"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "dedup hashes expired", func() bool {
		return len(rdb.Keys(ctx, redisstream.DedupKeyPattern("window")).Val()) == 0
	})
	second, err := pub.Publish(ctx, "window", "a", nil, redisstream.DedupID("k"))
	if err != nil || second == first || second == "" {
		t.Fatalf("Publish after the window = %q, %v; want a new entry after %s", second, err, first)
	}
	for _, w := range []time.Duration{-1, time.Microsecond} {
		bad := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{DedupWindow: w})
		if _, err := bad.Publish(ctx, "window", "a", nil); !errors.Is(err, redisstream.ErrInvalidConfig) {
			t.Errorf("Publish with DedupWindow %v: %v, want ErrInvalidConfig", w, err)
		}
	}
}

// TestPublishDedupTrimming checks that MAXLEN and MINID trimming still
// apply when the script writes the entries.
func TestPublishDedupTrimming(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t, "--stream-node-max-entries", "4")
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 10})
	for i := range 10 {
		if _, err := pub.PublishBatch(ctx, "trim:dedup", streamtest.KeyedEvents("t", fmt.Sprint(i), 10)); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.Publish(ctx, "trim:dedup", "t", nil, redisstream.DedupID(fmt.Sprint("one-", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.XLen(ctx, "trim:dedup").Val(); n > 14 {
		t.Errorf("MaxLen 10 (~, 4 per node): XLEN = %d, want at most 14", n)
	}
	keep, err := pub.Publish(ctx, "trim:minid", "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := pub.Publish(ctx, "trim:minid", "t", nil); err != nil {
			t.Fatal(err)
		}
	}
	minPub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MinID: keep})
	if _, err := minPub.PublishBatch(ctx, "trim:minid", streamtest.KeyedEvents("t", "m", 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := minPub.Publish(ctx, "trim:minid", "t", nil, redisstream.DedupID("m-last")); err != nil {
		t.Fatal(err)
	}
	first, err := rdb.XRangeN(ctx, "trim:minid", "-", "+", 1).Result()
	if err != nil || len(first) != 1 || first[0].ID != keep {
		t.Errorf("MinID %s: first entry %v, %v; want the MinID entry (4 per node, 1 older trimmed)", keep, first, err)
	}
}

// TestPublishDedupLostReply publishes a keyed batch whose reply is lost
// after Redis wrote it (a hook drops it), then retries the same batch: the
// stream holds every payload once and the retry returns the entries' IDs.
// Then the same for Publish.
func TestPublishDedupLostReply(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	hook := &streamtest.LoseReplies{}
	rdb.AddHook(hook)
	checkLostReplyRetry(t, rdb, hook, "lost")
}

// TestPublishDedupRedisCrash publishes a keyed batch to a Redis with
// appendfsync always, kills Redis with SIGKILL once it has written the
// batch and before the producer sees the reply, restarts it, and retries
// the batch: nothing is written twice, and the script, gone with the
// restart (NOSCRIPT), is sent again by go-redis.
func TestPublishDedupRedisCrash(t *testing.T) {
	t.Parallel()
	srv, rdb := newRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	hook := &streamtest.LoseReplies{}
	hook.After = func() {
		srv.Kill(syscall.SIGKILL)
		srv.Restart(t)
	}
	rdb.AddHook(hook)
	checkLostReplyRetry(t, rdb, hook, "crash")
}

// checkLostReplyRetry loses the reply of a 50-event keyed batch, then of a
// keyed Publish, retries each, and checks that the stream holds every
// payload once.
func checkLostReplyRetry(t *testing.T, rdb redis.UniversalClient, hook *streamtest.LoseReplies, stream string) {
	t.Helper()
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	events := streamtest.KeyedEvents("order.paid", "order", 50)
	hook.N.Store(1)
	if _, err := pub.PublishBatch(ctx, stream, events); err == nil {
		t.Fatal("PublishBatch succeeded although its reply was lost")
	}
	ids, err := pub.PublishBatch(ctx, stream, events)
	if err != nil {
		t.Fatalf("retried PublishBatch: %v", err)
	}
	hook.N.Store(1)
	if _, err := pub.Publish(ctx, stream, "order.paid", map[string]any{"n": 50}, redisstream.DedupID("order-50")); err == nil {
		t.Fatal("Publish succeeded although its reply was lost")
	}
	id, err := pub.Publish(ctx, stream, "order.paid", map[string]any{"n": 50}, redisstream.DedupID("order-50"))
	if err != nil {
		t.Fatalf("retried Publish: %v", err)
	}
	if hook.Lost() != 2 {
		t.Fatalf("the hook lost %d replies, want 2", hook.Lost())
	}
	msgs, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.ID)
	}
	if want := append(ids, id); !slices.Equal(got, want) {
		t.Errorf("stream holds %d entries %v, the retries returned %v", len(got), got, want)
	}
	for n, c := range streamtest.PayloadCounts(t, rdb, stream) {
		if c != 1 {
			t.Errorf("payload n=%s is in the stream %d times", n, c)
		}
	}
}

// TestPublishDedupNoScript checks that a keyed publish works after the
// script cache was flushed (as after a Redis restart).
func TestPublishDedupNoScript(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for i := range 2 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.Publish(ctx, "noscript", "a", nil, redisstream.DedupID(fmt.Sprint(i))); err != nil {
			t.Fatalf("Publish after SCRIPT FLUSH: %v", err)
		}
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.PublishBatch(ctx, "noscript", streamtest.KeyedEvents("a", fmt.Sprint(i), 3)); err != nil {
			t.Fatalf("PublishBatch after SCRIPT FLUSH: %v", err)
		}
	}
	if n := rdb.XLen(ctx, "noscript").Val(); n != 8 {
		t.Errorf("XLEN = %d, want 8", n)
	}
}
