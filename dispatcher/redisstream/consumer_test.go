package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// consumers returns the consumers of group on stream with their pending
// counts.
func consumers(t testing.TB, rdb redis.UniversalClient, stream, group string) map[string]int64 {
	t.Helper()
	infos, err := rdb.XInfoConsumers(context.Background(), stream, group).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range infos {
		out[c.Name] = c.Pending
	}
	return out
}

// TestGeneratedConsumerRemovedAtStop checks that a clean stop removes a
// generated consumer name from the group of every stream, and keeps a
// configured one.
func TestGeneratedConsumerRemovedAtStop(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	for _, name := range []string{"", "pod-1"} {
		rec := newRecorder()
		cfg := fastConfig(t, "a", "b")
		cfg.Consumer = name
		p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), cfg)
		ids := append(publish(t, rdb, "a", "tick", 5), publish(t, rdb, "b", "tick", 5)...)
		eventually(t, "every entry handled and acked", func() bool {
			return rec.handledAll(ids) && pending(t, rdb, "a", "g") == 0 && pending(t, rdb, "b", "g") == 0
		})
		used := p.Config().Consumer
		for _, s := range []string{"a", "b"} {
			if _, ok := consumers(t, rdb, s, "g")[used]; !ok {
				t.Fatalf("consumer %q not in the group of %s while running", used, s)
			}
		}
		streamtest.Stop(t, p)
		for _, s := range []string{"a", "b"} {
			_, kept := consumers(t, rdb, s, "g")[used]
			if name == "" && kept {
				t.Errorf("generated consumer %q still in the group of %s after a clean stop", used, s)
			}
			if name != "" && !kept {
				t.Errorf("configured consumer %q removed from the group of %s", name, s)
			}
		}
	}
}

// TestGeneratedConsumerWithPendingKept checks that a generated consumer
// holding pending entries at stop stays in the group with them, so that
// they are reclaimed, not dropped.
func TestGeneratedConsumerWithPendingKept(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(context.Context, *dispatcher.Message) error { return errors.New("not now") })
	cfg := fastConfig(t, "s")
	cfg.Consumer, cfg.MinIdle = "", time.Hour // nothing is reclaimed during the test
	p := streamtest.StartProcessor(t, rdb, d, cfg)
	ids := publish(t, rdb, "s", "tick", 3)
	eventually(t, "the entries pending", func() bool { return pending(t, rdb, "s", "g") == 3 })
	streamtest.Stop(t, p)
	used := p.Config().Consumer
	if got := consumers(t, rdb, "s", "g"); got[used] != 3 {
		t.Fatalf("consumers after stop = %v, want %q holding 3", got, used)
	}
	pend, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
		Stream: "s", Group: "g", Start: "-", End: "+", Count: 10,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range pend {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pending after stop %v, want %v", got, ids)
	}
}
