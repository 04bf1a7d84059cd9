package redisstream_test

import (
	"context"
	"slices"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestGroupDestroyed destroys the consumer group, or deletes the whole
// stream, under a running processor: it recreates what is missing and goes
// on. With the default StartID "0" a recreated group reads the stream from
// the start, so after XGROUP DESTROY the entries handled before are handled
// once more; the new ones are handled exactly once.
func TestGroupDestroyed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		destroy  func(rdb *redis.Client, stream string) error
		oldTimes int // runs of each entry published before
	}{
		{name: "group destroyed", oldTimes: 2, destroy: func(rdb *redis.Client, stream string) error {
			return rdb.XGroupDestroy(context.Background(), stream, "g").Err()
		}},
		{name: "stream deleted", oldTimes: 1, destroy: func(rdb *redis.Client, stream string) error {
			return rdb.Del(context.Background(), stream).Err()
		}},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "destroyed:" + tt.name
			rec, logs, p, before := startTicking(t, rdb, stream, 15)
			if err := tt.destroy(rdb, stream); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the loss is noticed", func() bool { return logs.FilterMessageSnippet("missing; recreating").Len() > 0 })
			after := publish(t, rdb, stream, "tick", 15)
			eventually(t, "the new entries are handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, after)) })
			eventually(t, "the old entries are handled again", func() bool {
				return !slices.ContainsFunc(before, func(id string) bool { return rec.Count(streamtest.Entry{Stream: stream, ID: id}) < tt.oldTimes })
			})
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p)
			for _, id := range before {
				if n := rec.Count(streamtest.Entry{Stream: stream, ID: id}); n != tt.oldTimes {
					t.Errorf("old entry %s handled %d times, want %d", id, n, tt.oldTimes)
				}
			}
			for _, id := range after {
				if n := rec.Count(streamtest.Entry{Stream: stream, ID: id}); n != 1 {
					t.Errorf("new entry %s handled %d times, want 1", id, n)
				}
			}
		})
	}
}

// TestRedisRestart kills redis-server under a running processor and starts
// it again. The processor backs off, logs the outage once and the recovery
// once, and resumes. With an fsynced append-only file nothing is lost and
// every entry is handled exactly once; without persistence the stream and
// group are gone, and the processor recreates them.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra []string
	}{
		{name: "append-only file", extra: []string{"--appendonly", "yes", "--appendfsync", "always"}},
		{name: "no persistence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, rdb := newRedis(t, tt.extra...)
			const stream = "restart"
			rec, logs, p, before := startTicking(t, rdb, stream, 20)
			srv.Kill(syscall.SIGKILL)
			eventually(t, "the outage is logged", func() bool { return logs.FilterMessageSnippet("redis unavailable").Len() > 0 })
			srv.Restart(t)
			after := publish(t, rdb, stream, "tick", 20)
			eventually(t, "the new entries are handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, after)) })
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			// The recovery is logged once every loop that failed succeeded
			// again: the reclaimer's next tick may come after the entries
			// are handled (without persistence it first meets NOGROUP).
			eventually(t, "the recovery is logged", func() bool { return logs.FilterMessageSnippet("redis answers again").Len() > 0 })
			streamtest.Stop(t, p)
			rec.ExactlyOnce(t, streamtest.Entries(stream, append(before, after...)))
			// One outage, one recovery. go-redis's dial breaker can replay the
			// last dial error for about a second after Redis is back, which may
			// add a short extra pair; a flood (one line per failed read) fails.
			for _, snippet := range []string{"redis unavailable", "redis answers again"} {
				if n := logs.FilterMessageSnippet(snippet).Len(); n < 1 || n > 2 {
					t.Errorf("%d %q log lines, want 1 (2 at most)", n, snippet)
				}
			}
		})
	}
}

// startTicking starts a processor (fastConfig, its logs observed) that
// records the "tick" entries of stream, publishes n of them and waits until
// they are handled and acknowledged.
func startTicking(t *testing.T, rdb *redis.Client, stream string, n int) (*streamtest.Recorder, *observer.ObservedLogs, *redisstream.Processor, []string) {
	t.Helper()
	rec := new(streamtest.Recorder)
	cfg := fastConfig(t, stream)
	logs := observe(&cfg, t)
	p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), cfg)
	ids := publish(t, rdb, stream, "tick", n)
	eventually(t, "the first entries are handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, ids)) })
	eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
	return rec, logs, p, ids
}
