package redisstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestRetention runs a Processor with RetentionInterval on a stream that a
// second group, "audit", has read only halfway: retention removes the half
// both groups acknowledged and keeps every entry audit has not read; once
// audit has read everything, the stream is trimmed to its last macro node.
// Redis runs with stream-node-max-entries 10, so XTRIM MINID ~ keeps at most
// 10 entries more than exact trimming.
func TestRetention(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t, "--stream-node-max-entries", "10")
	ctx := context.Background()
	ids := publish(t, rdb, "s", "e", 200)
	if err := rdb.XGroupCreate(ctx, "s", "audit", ids[99]).Err(); err != nil {
		t.Fatal(err)
	}
	rec := new(streamtest.Recorder)
	cfg := fastConfig(t, "s")
	cfg.RetentionInterval = 50 * time.Millisecond
	streamtest.StartProcessor(t, rdb, counted(rec, "e"), cfg)

	eventually(t, "g handled every entry and retention trimmed what both groups acknowledged", func() bool {
		return rec.Len() == 200 && pending(t, rdb, "s", "g") == 0 && rdb.XLen(ctx, "s").Val() <= 110
	})
	kept := rdb.XRange(ctx, "s", ids[100], "+").Val()
	if len(kept) != 100 || kept[0].ID != ids[100] {
		t.Fatalf("retention removed entries audit has not read: %d of the 100 left", len(kept))
	}
	if err := rdb.XGroupSetID(ctx, "s", "audit", ids[199]).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "retention trimmed the stream once audit read everything", func() bool {
		return rdb.XLen(ctx, "s").Val() <= 10
	})
}
