package clustertest

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestClusterReclaimDeadConsumer has a consumer read entries of three
// streams, served by three masters, and die without acknowledging them.
// The processor reclaims them with XAUTOCLAIM on each master after MinIdle:
// every entry is handled exactly once, the dead consumer's on their second
// delivery, and no entry is left pending for anyone.
func TestClusterReclaimDeadConsumer(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	streams := []string{ordersStream, paymentsStream, usersStream}
	requireSpread(t, rdb, streams...)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	var want, dead []streamtest.Entry
	for i, s := range streams {
		want = append(want, publishN(t, pub, s, "tick", 80)...)
		// More than one XAUTOCLAIM batch (50) on the last stream.
		dead = append(dead, readAndDie(t, rdb, s, "dead", 10+25*i)...)
	}
	log, logs := observed(t)
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", rec.Handle, dispatcher.Named("tick"))
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(log, streams...))
	eventually(t, "every entry is handled", func() bool { return rec.HandledAll(want) })
	for _, s := range streams {
		eventually(t, "the PEL of "+s+" is empty", func() bool { return pending(t, rdb, s, "g") == 0 })
	}
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, want)
	for _, e := range want {
		wantAttempt := 1
		if slices.Contains(dead, e) {
			wantAttempt = 2
		}
		if got := rec.Attempts(e); !slices.Equal(got, []int{wantAttempt}) {
			t.Errorf("entry %s: attempts %v, want [%d]", e, got, wantAttempt)
		}
	}
	if !logged(logs, "reclaimed idle entries") {
		t.Error("no reclaim was logged")
	}
	t.Logf("%d entries of a dead consumer reclaimed on %d masters", len(dead), len(streams))
}

// readAndDie reads up to n new entries of stream in group "g" as consumer,
// never acknowledging them: a consumer that dies after reading.
func readAndDie(t *testing.T, rdb redis.UniversalClient, stream, consumer string, n int) []streamtest.Entry {
	t.Helper()
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
		t.Fatalf("create group on %s: %v", stream, err)
	}
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "g", Consumer: consumer, Streams: []string{stream, ">"}, Count: int64(n), Block: -1,
	}).Result()
	if err != nil {
		t.Fatalf("XREADGROUP %s: %v", stream, err)
	}
	var out []streamtest.Entry
	for _, m := range res[0].Messages {
		out = append(out, streamtest.Entry{Stream: stream, ID: m.ID})
	}
	if len(out) != n {
		t.Fatalf("the dead consumer read %d entries of %s, want %d", len(out), stream, n)
	}
	return out
}
