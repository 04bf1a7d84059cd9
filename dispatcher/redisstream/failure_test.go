package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestFailuresDeadLettered checks each failure path: a route that keeps
// failing runs MaxDeliveries times, then the entry goes to the dead-letter
// stream with its fields, the route, the reason and the attempts; a
// permanent error or a panic behave as documented; entries of other types
// are handled once and unaffected.
func TestFailuresDeadLettered(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         func() error
		wantAttempts []int
		wantReason   string
	}{
		{name: "always failing", fail: func() error { return errors.New("boom") },
			wantAttempts: []int{1, 2, 3}, wantReason: "boom"},
		{name: "permanent", fail: func() error { return dispatcher.Permanent(errors.New("bad input")) },
			wantAttempts: []int{1}, wantReason: "bad input"},
		{name: "panicking", fail: func() error { panic("kaboom") },
			wantAttempts: []int{1, 2, 3}, wantReason: "kaboom"},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "fail:" + tt.name
			rec, bad := new(streamtest.Recorder), new(streamtest.Recorder)
			d := counted(rec, "good")
			d.OnFunc("bad", func(ctx context.Context, msg *dispatcher.Message) error {
				_ = bad.Handle(ctx, msg)
				return tt.fail()
			}, dispatcher.Named("bad-route"))
			good := publish(t, rdb, stream, "good", 10)
			badIDs := publish(t, rdb, stream, "bad", 2)
			good = append(good, publish(t, rdb, stream, "good", 10)...)
			p := streamtest.StartProcessor(t, rdb, d, fastConfig(t, stream))
			dl := stream + ":dead"
			eventually(t, "both bad entries are dead-lettered", func() bool { return len(deadLetters(t, rdb, dl)) == 2 })
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p)
			rec.ExactlyOnce(t, streamtest.Entries(stream, good))
			for _, id := range badIDs {
				if got := bad.Attempts(streamtest.Entry{Stream: stream, ID: id}); !slices.Equal(got, tt.wantAttempts) {
					t.Errorf("bad entry %s ran with attempts %v, want %v", id, got, tt.wantAttempts)
				}
			}
			for _, m := range deadLetters(t, rdb, dl) {
				if id, _ := m.Values["dead_id"].(string); !slices.Contains(badIDs, id) {
					t.Errorf("dead letter for %s, want one of %v", id, badIDs)
				}
				want := map[string]string{
					"type": "bad", "dead_route": "bad-route", "dead_stream": stream,
					"dead_attempts": strconv.Itoa(tt.wantAttempts[len(tt.wantAttempts)-1]),
				}
				checkFields(t, m.Values, want)
				if r, _ := m.Values["dead_reason"].(string); !strings.Contains(r, tt.wantReason) {
					t.Errorf("dead_reason %q does not mention %q", r, tt.wantReason)
				}
				if _, ok := m.Values["n"]; !ok {
					t.Errorf("dead-letter entry lost the original field n: %v", m.Values)
				}
			}
		})
	}
}

// TestTooManyDeliveriesNotRun reclaims an entry whose delivery count is
// already past MaxDeliveries (its handler crashed its consumers): it is
// dead-lettered without running.
func TestTooManyDeliveriesNotRun(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "poison"
	ids := publish(t, rdb, stream, "tick", 3)
	dead := readAs(t, rdb, stream, "dead", 1)
	ctx := context.Background()
	if err := rdb.Do(ctx, "XCLAIM", stream, "g", "dead", 0, dead[0], "RETRYCOUNT", 7).Err(); err != nil {
		t.Fatal(err)
	}
	rec := new(streamtest.Recorder)
	p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), fastConfig(t, stream))
	eventually(t, "the poison entry is dead-lettered", func() bool { return len(deadLetters(t, rdb, stream+":dead")) == 1 })
	eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, streamtest.Entries(stream, ids[1:]))
	m := deadLetters(t, rdb, stream+":dead")[0]
	checkFields(t, m.Values, map[string]string{"dead_id": ids[0], "dead_attempts": "8", "dead_route": ""})
	if r, _ := m.Values["dead_reason"].(string); !strings.Contains(r, redisstream.ErrTooManyDeliveries.Error()) {
		t.Errorf("dead_reason = %q", r)
	}
}

// TestUnroutableAndOversized covers entries no handler runs for: without a
// type, of an unknown type (acked, or dead-lettered when the dispatcher
// says so), and larger than MaxMessageBytes (dead-lettered).
func TestUnroutableAndOversized(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		values     []any
		dlUnrouted bool
		wantDead   string // dead_reason substring, "" if acked without dead letter
		wantLog    string
	}{
		{name: "unknown type", values: []any{"type", "nobody.cares"}, wantLog: "message not routed"},
		{name: "no type", values: []any{"x", "1"}, wantLog: "message not routed"},
		{name: "unknown type dead-lettered", values: []any{"type", "nobody.cares"}, dlUnrouted: true,
			wantDead: dispatcher.ErrNoRoute.Error()},
		{name: "oversized", values: []any{"type", "tick", "blob", strings.Repeat("x", 300)},
			wantDead: redisstream.ErrMessageTooLarge.Error()},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "odd:" + tt.name
			ctx := context.Background()
			odd, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: tt.values}).Result()
			if err != nil {
				t.Fatal(err)
			}
			ids := publish(t, rdb, stream, "tick", 5)
			rec := new(streamtest.Recorder)
			d := dispatcher.New(dispatcher.Config{DeadLetterUnroutable: tt.dlUnrouted})
			d.OnFunc("tick", rec.Handle)
			cfg := fastConfig(t, stream)
			var logs *observer.ObservedLogs
			cfg.Logger, logs = observed(t)
			cfg.MaxMessageBytes = 200
			p := streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "the tick entries are handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, ids)) })
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p)
			rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
			dead := deadLetters(t, rdb, stream+":dead")
			if tt.wantDead == "" {
				if len(dead) != 0 {
					t.Errorf("%d dead letters, want none", len(dead))
				}
				if n := logs.FilterMessageSnippet(tt.wantLog).FilterField(zap.String("id", odd)).Len(); n != 1 {
					t.Errorf("%d %q log lines for %s, want 1", n, tt.wantLog, odd)
				}
				return
			}
			if len(dead) != 1 {
				t.Fatalf("%d dead letters, want 1", len(dead))
			}
			checkFields(t, dead[0].Values, map[string]string{"dead_id": odd, "dead_route": ""})
			if r, _ := dead[0].Values["dead_reason"].(string); !strings.Contains(r, tt.wantDead) {
				t.Errorf("dead_reason = %q, want it to mention %q", r, tt.wantDead)
			}
		})
	}
}

// checkFields fails t unless got holds every field of want.
func checkFields(t testing.TB, got map[string]any, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s = %v, want %q", k, got[k], v)
		}
	}
}
