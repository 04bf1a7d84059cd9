package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// outcome is what the processor does with an entry.
type outcome string

const (
	handledOK  outcome = "handled"      // the route ran and succeeded
	deadLetter outcome = "dead-letter"  // written to the dead-letter stream, then acked
	ackAndLog  outcome = "ack-and-log"  // acknowledged, logged at warn level as not routed
	pendingOut outcome = "left pending" // neither: a failure of the suite
)

// badLimit is the MaxMessageBytes of the bad-input processors.
const badLimit = 64 << 10

// badCase is one entry written with raw fields, and its documented outcome.
type badCase struct {
	name   string
	fields []string
	want   outcome
	reason string // snippet of the dead-letter reason or of the logged error
}

func badCases() []badCase {
	deep := strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000)
	manyFields := []string{"type", "job"}
	for i := range 4_000 {
		manyFields = append(manyFields, fmt.Sprintf("f%d", i), "v")
	}
	return []badCase{
		{"valid", []string{"type", "job", "n", "json:7"}, handledOK, ""},
		{"invalid JSON after the prefix", []string{"type", "job", "n", `json:{"a":`}, deadLetter, "cannot decode field"},
		{"nothing after the prefix", []string{"type", "job", "n", "json:"}, deadLetter, "cannot decode field"},
		{"NaN", []string{"type", "job", "n", "json:NaN"}, deadLetter, "cannot decode field"},
		{"trailing data", []string{"type", "job", "n", "json:1 2"}, deadLetter, "cannot decode field"},
		{"member injection", []string{"type", "job", "n", `json:1,"m":2`}, deadLetter, "cannot decode field"},
		{"JSON string for an int", []string{"type", "job", "n", `json:"seven"`}, deadLetter, "cannot decode field"},
		{"plain string for an int", []string{"type", "job", "n", "seven"}, deadLetter, "cannot decode field"},
		{"nesting beyond the JSON depth limit", []string{"type", "job", "n", "json:" + deep}, deadLetter, "cannot decode field"},
		{"missing type", []string{"n", "json:1"}, ackAndLog, "message has no type"},
		{"empty type", []string{"type", "", "n", "json:1"}, ackAndLog, "message has no type"},
		{"type that is a JSON number", []string{"type", "json:5"}, ackAndLog, "message has no type"},
		{"type that is invalid JSON", []string{"type", "json:{"}, ackAndLog, "message has no type"},
		{"type nobody handles", []string{"type", "nobody", "n", "json:1"}, ackAndLog, "no route"},
		{"binary type", []string{"type", "\x00\xff\xfe\x80job"}, ackAndLog, "no route"},
		{"binary field name and value", []string{"type", "job", "\xff\x00", "\x80\x81", "n", "json:1"}, handledOK, ""},
		{"binary value for an int", []string{"type", "job", "n", "\xff\xfe\x00"}, deadLetter, "cannot decode field"},
		{"binary JSON", []string{"type", "job", "n", "json:\x00\xff"}, deadLetter, "cannot decode field"},
		{"4,000 fields", manyFields, handledOK, ""},
		{"exactly MaxMessageBytes", sized(badLimit), handledOK, ""},
		{"one byte over MaxMessageBytes", sized(badLimit + 1), deadLetter, "message too large"},
		{"4 MiB payload", sized(4 << 20), deadLetter, "message too large"},
	}
}

// sized returns valid fields of a job whose entry size is exactly size.
func sized(size int) []string {
	fixed := len("type") + len("job") + len("n") + len("json:1") + len("blob")
	return []string{"type", "job", "n", "json:1", "blob", strings.Repeat("x", size-fixed)}
}

// garbage returns n entries of random binary fields (a fixed seed), half
// of them with type "job".
func garbage(n int) [][]string {
	rng := rand.New(rand.NewPCG(8, 8))
	bytes := func() string {
		b := make([]byte, 1+rng.IntN(64))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		if rng.IntN(4) == 0 {
			return dispatcher.JSONPrefix + string(b)
		}
		return string(b)
	}
	out := make([][]string, n)
	for i := range out {
		var f []string
		if i%2 == 0 {
			f = append(f, "type", "job")
		}
		for range 1 + rng.IntN(5) {
			f = append(f, bytes(), bytes())
		}
		out[i] = f
	}
	return out
}

// TestReliabilityBadInput writes entries the codec rejects, entries without
// a usable type, binary garbage and entries beyond MaxMessageBytes, then a
// valid one. Each gets its documented outcome: a decode error or an
// oversized entry is dead-lettered with its reason (no handler runs for an
// oversized one); no type or no route is acknowledged and logged; random
// garbage ends one of these ways. Nothing stays pending and the processor
// keeps running.
func TestReliabilityBadInput(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	seen := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.On("job", dispatcher.Typed(func(_ context.Context, msg *dispatcher.Message, p struct {
		N int `json:"n"`
	}) error {
		seen.Record(msg)
		return nil
	}))
	log, logs := observedLogger()
	const stream = "bad"
	begin := time.Now()
	p := newProcessor(t, rdb, d, badConfig(stream, log))
	cases := badCases()
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = xadd(t, rdb, stream, c.fields)
	}
	junk := garbage(200)
	junkIDs := make([]string, len(junk))
	for i, f := range junk {
		junkIDs[i] = xadd(t, rdb, stream, f)
	}
	last := xadd(t, rdb, stream, []string{"type", "job", "n", "json:1"})
	streamtest.Eventually(t, time.Minute, "the last valid entry is handled and the PEL empty", func() bool {
		return seen.Count(streamtest.Entry{Stream: stream, ID: last}) == 1 && streamtest.Pending(t, rdb, stream, "g") == 0
	})
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	if err := p.Err(); err != nil {
		t.Fatalf("processor stopped by %v", err)
	}
	elapsed := time.Since(begin)

	dead := deadLetters(t, rdb, dispatcher.DeadLetterStream(stream))
	for i, c := range cases {
		checkOutcome(t, c, streamtest.Entry{Stream: stream, ID: ids[i]}, seen, dead, logs)
	}
	counts := map[outcome]int{}
	for _, id := range junkIDs {
		counts[outcomeOf(streamtest.Entry{Stream: stream, ID: id}, seen, dead, logs)]++
	}
	if counts[pendingOut] > 0 {
		t.Errorf("%d garbage entries without a documented outcome", counts[pendingOut])
	}
	total := len(cases) + len(junk) + 1
	results.add(t, row{
		scenario: "bad input", messages: total, handled: total - counts[pendingOut], lost: counts[pendingOut],
		elapsed: elapsed,
		notes: fmt.Sprintf("%d crafted cases as documented; 200 random binary entries: %d handled, %d dead-lettered, %d acked and logged",
			len(cases), counts[handledOK], counts[deadLetter], counts[ackAndLog]),
	})
}

// badConfig is the processor config of the bad-input tests.
func badConfig(stream string, log *zap.Logger) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: "c1", BatchSize: 50,
		Block: 100 * time.Millisecond, MinIdle: 300 * time.Millisecond,
		ReclaimInterval: 50 * time.Millisecond, MaxMessageBytes: badLimit, Logger: log,
	}
}

// xadd appends raw fields to stream and returns the entry ID.
func xadd(t testing.TB, rdb *redis.Client, stream string, fields []string) string {
	t.Helper()
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: fields}).Result()
	if err != nil {
		t.Fatalf("XADD %.60q: %v", fields, err)
	}
	return id
}

// outcomeOf tells what happened to entry e.
func outcomeOf(e streamtest.Entry, seen *streamtest.Recorder, dead map[string][]map[string]any, logs *observer.ObservedLogs) outcome {
	n, id := seen.Count(e), e.ID
	switch {
	case n > 0 && len(dead[id]) == 0:
		return handledOK
	case n == 0 && len(dead[id]) == 1:
		return deadLetter
	case n == 0 && len(dead[id]) == 0 && len(notRouted(logs, id)) == 1:
		return ackAndLog
	}
	return pendingOut
}

// notRouted returns the errors logged for entry id as not routed.
func notRouted(logs *observer.ObservedLogs, id string) []string {
	var out []string
	for _, e := range logs.FilterMessageSnippet("not routed").FilterField(zap.String("id", id)).All() {
		out = append(out, fmt.Sprint(e.ContextMap()["error"]))
	}
	return out
}

// checkOutcome checks the outcome of case c, written as entry e.
func checkOutcome(t *testing.T, c badCase, e streamtest.Entry, seen *streamtest.Recorder, dead map[string][]map[string]any, logs *observer.ObservedLogs) {
	t.Helper()
	id := e.ID
	got := outcomeOf(e, seen, dead, logs)
	if got != c.want {
		t.Errorf("%s: outcome %s (handled %d times, %d dead letters, logged %v), want %s",
			c.name, got, seen.Count(e), len(dead[id]), notRouted(logs, id), c.want)
		return
	}
	var reason string
	switch got {
	case deadLetter:
		reason, _ = dead[id][0][dispatcher.DeadReasonField].(string)
		if a := dead[id][0][dispatcher.DeadAttemptsField]; a != "1" {
			t.Errorf("%s: dead_attempts %v, want 1 (loaded once)", c.name, a)
		}
	case ackAndLog:
		reason = notRouted(logs, id)[0]
	}
	if !strings.Contains(reason, c.reason) {
		t.Errorf("%s: reason %q, want it to contain %q", c.name, reason, c.reason)
	}
}
