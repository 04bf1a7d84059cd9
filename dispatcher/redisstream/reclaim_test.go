package redisstream_test

import (
	"context"
	"github.com/streamfx/streamfx/internal/streamtest"
	"slices"
	"testing"
	"time"
)

// TestReclaimDeadConsumer has another consumer read entries and die without
// acking; the processor reclaims them after MinIdle and handles each exactly
// once, on its second delivery. Entries deleted from the stream while
// pending leave the PEL.
func TestReclaimDeadConsumer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		total, dead    int
		deleteFromDead int
	}{
		{name: "some read by the dead consumer", total: 30, dead: 12},
		{name: "more than one claim batch", total: 40, dead: 35},
		{name: "some deleted while pending", total: 20, dead: 10, deleteFromDead: 4},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "reclaim:" + tt.name
			ids := publish(t, rdb, stream, "tick", tt.total)
			deadIDs := readAs(t, rdb, stream, "dead", tt.dead)
			if len(deadIDs) != tt.dead {
				t.Fatalf("dead consumer read %d entries, want %d", len(deadIDs), tt.dead)
			}
			deleted := deadIDs[:tt.deleteFromDead]
			if len(deleted) > 0 {
				if err := rdb.XDel(context.Background(), stream, deleted...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			want := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(deleted, id) })
			rec := new(streamtest.Recorder)
			p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), fastConfig(t, stream))
			eventually(t, "every live entry is handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, want)) })
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p)
			rec.ExactlyOnce(t, streamtest.Entries(stream, want))
			checkAttempts(t, rec, stream, want, deadIDs)
		})
	}
}

// TestOwnPendingDrainedFirst restarts a consumer under the same name: its
// own pending entries are handled at once (ID 0), long before MinIdle would
// let the reclaim loop take them, with their delivery counts; entries
// deleted meanwhile are acked away.
func TestOwnPendingDrainedFirst(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const stream = "drain"
	ids := publish(t, rdb, stream, "tick", 25)
	mine := readAs(t, rdb, stream, "c1", 15) // c1's first life
	gone := mine[3:5]
	if err := rdb.XDel(context.Background(), stream, gone...).Err(); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(gone, id) })
	rec := new(streamtest.Recorder)
	cfg := fastConfig(t, stream)
	cfg.MinIdle, cfg.BatchSize = time.Hour, 4
	p := streamtest.StartProcessor(t, rdb, counted(rec, "tick"), cfg)
	eventually(t, "every live entry is handled", func() bool { return rec.HandledAll(streamtest.Entries(stream, want)) })
	eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, streamtest.Entries(stream, want))
	checkAttempts(t, rec, stream, want, mine)
}

// checkAttempts fails t unless each entry of want (IDs of stream) ran
// once, with attempt 2 if it was delivered before (in redelivered), else 1.
func checkAttempts(t *testing.T, rec *streamtest.Recorder, stream string, want, redelivered []string) {
	t.Helper()
	for _, id := range want {
		wantAttempt := 1
		if slices.Contains(redelivered, id) {
			wantAttempt = 2
		}
		if got := rec.Attempts(streamtest.Entry{Stream: stream, ID: id}); !slices.Equal(got, []int{wantAttempt}) {
			t.Errorf("entry %s: attempts %v, want [%d]", id, got, wantAttempt)
		}
	}
}
