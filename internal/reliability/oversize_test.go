package reliability

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestReliabilityOversizedReclaimed leaves an entry beyond MaxMessageBytes
// pending for a consumer that died after reading it. The processor reclaims
// it and dead-letters it once, without running any handler, so it is not
// loaded again and again.
func TestReliabilityOversizedReclaimed(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	const stream = "oversized"
	id := xadd(t, rdb, stream, sized(2*badLimit))
	if err := rdb.XGroupCreate(ctx, stream, "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "g", Consumer: "dead", Streams: []string{stream, ">"}, Count: 1, Block: -1,
	}).Err(); err != nil {
		t.Fatal(err)
	}
	seen := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("job", seen.Handle)
	log, _ := observedLogger()
	p := newProcessor(t, rdb, d, badConfig(stream, log))
	dl := dispatcher.DeadLetterStream(stream)
	streamtest.Eventually(t, 30*time.Second, "the entry is dead-lettered and acked", func() bool {
		return len(deadLetters(t, rdb, dl)[id]) > 0 && streamtest.Pending(t, rdb, stream, "g") == 0
	})
	time.Sleep(500 * time.Millisecond) // more than MinIdle: a second load would show
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	dead := deadLetters(t, rdb, dl)[id]
	if len(dead) != 1 {
		t.Fatalf("%d dead-letter entries, want 1", len(dead))
	}
	if r, _ := dead[0][dispatcher.DeadReasonField].(string); !strings.Contains(r, "message too large") {
		t.Errorf("dead_reason %q, want message too large", r)
	}
	if a := dead[0][dispatcher.DeadAttemptsField]; a != "2" {
		t.Errorf("dead_attempts %v, want 2 (read by the dead consumer, then reclaimed once)", a)
	}
	if n := seen.Count(streamtest.Entry{Stream: stream, ID: id}); n != 0 {
		t.Errorf("the handler ran %d times for an oversized entry", n)
	}
}

// TestReliabilityUnroutableDeadLettered checks the documented alternative to
// ack-and-log: with dispatcher.Config.DeadLetterUnroutable, an entry without
// a type, or of a type nobody handles, goes to the dead-letter stream.
func TestReliabilityUnroutableDeadLettered(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	const stream = "unroutable"
	d := dispatcher.New(dispatcher.Config{DeadLetterUnroutable: true})
	d.OnFunc("job", func(context.Context, *dispatcher.Message) error { return nil })
	log, _ := observedLogger()
	p := newProcessor(t, rdb, d, badConfig(stream, log))
	cases := map[string]string{ // entry ID -> reason
		xadd(t, rdb, stream, []string{"n", "json:1"}):                   "message has no type",
		xadd(t, rdb, stream, []string{"type", "\xff\xfe", "n", "\x00"}): "no route",
	}
	dl := dispatcher.DeadLetterStream(stream)
	streamtest.Eventually(t, 30*time.Second, "both are dead-lettered and acked", func() bool {
		return len(deadLetters(t, rdb, dl)) == len(cases) && streamtest.Pending(t, rdb, stream, "g") == 0
	})
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	dead := deadLetters(t, rdb, dl)
	for id, reason := range cases {
		if len(dead[id]) != 1 {
			t.Errorf("entry %s: %d dead-letter entries, want 1", id, len(dead[id]))
			continue
		}
		if r, _ := dead[id][0][dispatcher.DeadReasonField].(string); !strings.Contains(r, reason) {
			t.Errorf("entry %s: dead_reason %q, want it to contain %q", id, r, reason)
		}
	}
}
