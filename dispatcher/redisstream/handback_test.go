package redisstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestStopHandsBackUnstarted stops a consumer cleanly while entries it read
// wait in its queue. Stop must hand them back: still pending, but idle for
// MinIdle already, so that another consumer takes them over at its next
// reclaim, long before MinIdle (30 s here, twice eventually's 15 s timeout)
// has passed. No
// entry runs twice, and each handed-back entry runs on its second delivery.
func TestStopHandsBackUnstarted(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream, minIdle = "handback", 30 * time.Second
	ids := publish(t, rdb, stream, "tick", 40)
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		time.Sleep(50 * time.Millisecond)
		return rec.Handle(ctx, msg)
	})
	config := func(consumer string) redisstream.ProcessorConfig {
		cfg := fastConfig(t, stream)
		cfg.Consumer, cfg.Concurrency, cfg.MinIdle = consumer, 2, minIdle
		return cfg
	}

	a := streamtest.StartProcessor(t, rdb, d, config("a"))
	eventually(t, "a runs its first entries", func() bool { return rec.Len() >= 2 })
	streamtest.Stop(t, a)
	left := pending(t, rdb, stream, "g")
	if left == 0 {
		t.Fatal("nothing pending after the stop: no entry waited in the queue")
	}
	idle, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
		Stream: stream, Group: "g", Idle: minIdle - time.Second, Start: "-", End: "+", Count: 100,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(idle)) != left {
		t.Errorf("%d of the %d entries pending after the stop look idle for MinIdle, want all", len(idle), left)
	}

	b := streamtest.StartProcessor(t, rdb, d, config("b"))
	eventually(t, "b runs what a handed back", func() bool {
		return rec.HandledAll(streamtest.Entries(stream, ids)) && pending(t, rdb, stream, "g") == 0
	})
	streamtest.Stop(t, b)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
	for _, e := range idle {
		if got := rec.Attempts(streamtest.Entry{Stream: stream, ID: e.ID}); len(got) != 1 || got[0] != 2 {
			t.Errorf("handed-back entry %s ran with attempts %v, want [2]", e.ID, got)
		}
	}
}
