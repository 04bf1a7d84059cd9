package clustertest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// errBroken is the error of handlers that fail on purpose.
var errBroken = errors.New("broken on purpose")

// TestClusterDeadLetter dead-letters a permanent failure, a failure that
// outlives MaxDeliveries redeliveries and an unroutable type, on a
// hash-tagged stream (its dead-letter stream "{orders}:dead" in the same
// slot) and on a stream without a hash tag (its dead-letter stream on
// another master). Each failed entry gives exactly one dead-letter entry
// pointing back at it; each good entry is handled once; nothing stays
// pending.
func TestClusterDeadLetter(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	tests := []struct {
		stream   string
		sameSlot bool // the dead-letter stream shares the stream's slot
	}{
		{ordersStream, true},
		{untaggedStream, false},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			t.Parallel()
			dl := dispatcher.DeadLetterStream(tt.stream)
			if same := slotOf(t, rdb, tt.stream) == slotOf(t, rdb, dl); same != tt.sameSlot {
				t.Fatalf("%s and %s in one slot = %v, want %v", tt.stream, dl, same, tt.sameSlot)
			}
			if !tt.sameSlot {
				requireSpread(t, rdb, tt.stream, dl)
			}
			t.Logf("stream %s, dead letters %s", describe(t, rdb, tt.stream), describe(t, rdb, dl))
			runDeadLetterCase(t, rdb, tt.stream, dl)
		})
	}
}

// runDeadLetterCase publishes good, poison, always-failing and unroutable
// entries to stream and checks where each one ends.
func runDeadLetterCase(t *testing.T, rdb *redis.ClusterClient, stream, dl string) {
	ok, failing := new(streamtest.Recorder), new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{DeadLetterUnroutable: true})
	d.OnFunc("ok", ok.Handle, dispatcher.Named("ok"))
	d.OnFunc("poison", func(context.Context, *dispatcher.Message) error {
		return dispatcher.Permanent(errBroken)
	}, dispatcher.Named("poison"))
	d.OnFunc("failing", func(_ context.Context, msg *dispatcher.Message) error {
		failing.Record(msg)
		return errBroken
	}, dispatcher.Named("failing"))
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	good := publishN(t, pub, stream, "ok", 20)
	wantDead := map[string]string{} // source ID -> dead_attempts
	for typ, attempts := range map[string]string{"poison": "1", "failing": "3", "nobody-handles-this": "1"} {
		for _, e := range publishN(t, pub, stream, typ, 3) {
			wantDead[e.ID] = attempts
		}
	}
	log, _ := observed(t)
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(log, stream))
	eventually(t, "every failed entry is dead-lettered", func() bool {
		return rdb.XLen(context.Background(), dl).Val() >= int64(len(wantDead))
	})
	eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
	eventually(t, "the good entries are handled", func() bool { return ok.HandledAll(good) })
	streamtest.Stop(t, p)
	ok.ExactlyOnce(t, good)
	checkDeadLetters(t, entries(t, rdb, dl), stream, wantDead)
	for _, ref := range failing.Handled() {
		if got := failing.Attempts(ref); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("failing route ran %s with attempts %v, want [1 2 3]", ref, got)
		}
	}
}

// checkDeadLetters fails t unless dead holds exactly one entry per source
// ID of want, from stream, with the wanted attempt count.
func checkDeadLetters(t *testing.T, dead []redis.XMessage, stream string, want map[string]string) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range dead {
		id, _ := m.Values[dispatcher.DeadIDField].(string)
		seen[id]++
		if m.Values[dispatcher.DeadStreamField] != stream {
			t.Errorf("dead letter %s: %s = %v, want %s", m.ID, dispatcher.DeadStreamField, m.Values[dispatcher.DeadStreamField], stream)
		}
		if got := m.Values[dispatcher.DeadAttemptsField]; got != want[id] {
			t.Errorf("dead letter of %s (type %v): attempts %v, want %s", id, m.Values["type"], got, want[id])
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("entry %s has %d dead letters, want 1", id, seen[id])
		}
	}
	if len(dead) != len(want) {
		t.Errorf("%d dead letters, want %d", len(dead), len(want))
	}
}
