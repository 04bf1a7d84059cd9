package clustertest

import (
	"context"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// oddStreams are stream names with braces in odd places: a hash tag, an
// empty tag before a real one, a "}" without "{", nested braces, none.
var oddStreams = []string{
	"plain", "{t}", "a{t}b", "a{}b{c}", "a}b", "}{", "{", "}", "{}", "a{b", "x{{y}}", "{a}}", "", "über{straße}",
	ordersStream, untaggedStream,
}

// TestDedupKeysShareTheStreamSlot checks, with CLUSTER KEYSLOT, that the
// dedup key of every odd stream name hashes to the stream's slot, and that
// a keyed Publish and PublishBatch to each work (no CROSSSLOT) and
// deduplicate.
func TestDedupKeysShareTheStreamSlot(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for _, stream := range oddStreams {
		first, err := pub.Publish(ctx, stream, "a", nil, redisstream.DedupID("k}{1"))
		if err != nil {
			t.Errorf("stream %q: Publish: %v", stream, err)
			continue
		}
		ids, err := pub.PublishBatch(ctx, stream, []redisstream.Event{{Type: "a", DedupID: "k}{1"}, {Type: "a", DedupID: "k2"}})
		if err != nil || ids[0] != first {
			t.Errorf("stream %q: PublishBatch = %v, %v; want %s first", stream, ids, err, first)
		}
		if n := rdb.XLen(ctx, stream).Val(); n != 2 {
			t.Errorf("stream %q: XLEN = %d, want 2", stream, n)
		}
		keys := clusterKeys(t, rdb, redisstream.DedupKeyPattern(stream))
		if len(keys) == 0 {
			t.Errorf("stream %q: no dedup hash matches %q", stream, redisstream.DedupKeyPattern(stream))
		}
		for _, key := range keys {
			if got, want := slotOf(t, rdb, key), slotOf(t, rdb, stream); got != want {
				t.Errorf("stream %q: dedup hash %q in slot %d, stream in slot %d", stream, key, got, want)
			}
		}
	}
}

// TestDedupLostReply loses the reply of a keyed 50-event batch on each of
// three streams served by three masters, after the cluster wrote it, and
// retries: every payload is in its stream once.
func TestDedupLostReply(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	hook := &streamtest.LoseReplies{}
	rdb.AddHook(hook)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	streams := []string{ordersStream, paymentsStream, untaggedStream}
	requireSpread(t, rdb, streams...)
	for _, stream := range streams {
		events := streamtest.KeyedEvents("order.paid", "order", 50)
		hook.N.Store(1)
		if _, err := pub.PublishBatch(ctx, stream, events); err == nil {
			t.Fatalf("%s: PublishBatch succeeded although its reply was lost", stream)
		}
		ids, err := pub.PublishBatch(ctx, stream, events)
		if err != nil {
			t.Fatalf("%s: retried PublishBatch: %v", stream, err)
		}
		counts := streamtest.PayloadCounts(t, rdb, stream)
		if len(counts) != 50 || len(ids) != 50 {
			t.Errorf("%s: %d distinct payloads, %d IDs; want 50", stream, len(counts), len(ids))
		}
		for n, c := range counts {
			if c != 1 {
				t.Errorf("%s: payload n=%s is in the stream %d times", stream, n, c)
			}
		}
	}
	if hook.Lost() != len(streams) {
		t.Errorf("the hook lost %d replies, want %d", hook.Lost(), len(streams))
	}
}

// clusterKeys returns the keys of every master that match pattern.
func clusterKeys(t testing.TB, rdb *redis.ClusterClient, pattern string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		found, err := node.Keys(ctx, pattern).Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, found...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
