package reliability

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// errPoison is the error of the poison messages.
var errPoison = errors.New("poisoned payload")

// poisonKinds are the bad messages published ahead of the good ones, with
// the deliveries each must get and a snippet of its dead-letter reason.
var poisonKinds = []struct {
	kind     string
	attempts string
	reason   string
}{
	{"fail", "3", "poisoned payload"},
	{"panic", "3", "handler panicked: poisoned payload"},
	{"permanent", "1", "permanent: poisoned payload"},
}

// TestReliabilityPoison publishes a message whose handler always fails, one
// whose handler always panics and one that fails permanently, followed by
// good messages. The bad ones must end in the dead-letter stream with their
// reason and attempt count; the good ones must all be handled, exactly once,
// before the failing poison gets its last delivery: no head-of-line blocking.
func TestReliabilityPoison(t *testing.T) {
	good := scaled(2_000, 2)
	const stream, maxDeliveries = "poison", 3
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	seen := new(streamtest.Recorder)
	var mu sync.Mutex
	goodAtLastTry := -1 // good messages done when "fail" started its last delivery
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("job", func(_ context.Context, msg *dispatcher.Message) error {
		switch msg.Fields["kind"] {
		case "fail":
			if msg.Attempt == maxDeliveries {
				mu.Lock()
				goodAtLastTry = seen.Len()
				mu.Unlock()
			}
			return errPoison
		case "panic":
			panic(errPoison)
		case "permanent":
			return dispatcher.Permanent(errPoison)
		}
		seen.Record(msg)
		return nil
	})
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	begin := time.Now()
	p := newProcessor(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", BatchSize: 50, Block: 100 * time.Millisecond,
		Concurrency: 4, MinIdle: time.Second, ReclaimInterval: 50 * time.Millisecond, MaxDeliveries: maxDeliveries,
	})
	poison := publishPoison(t, pub, stream)
	ids := streamtest.MustPublish(t, pub, stream, "job", good)
	dl := dispatcher.DeadLetterStream(stream)
	streamtest.Eventually(t, time.Minute, "the poison is dead-lettered and the PEL empty", func() bool {
		return len(deadLetters(t, rdb, dl)) == len(poisonKinds) && streamtest.Pending(t, rdb, stream, "g") == 0
	})
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(begin)

	res := tallyRuns(seen.Counts(), streamtest.Entries(stream, ids))
	res.check(t)
	if res.duplicates > 0 {
		t.Errorf("%d good messages handled more than once", res.duplicates)
	}
	mu.Lock()
	flowed := goodAtLastTry
	mu.Unlock()
	if flowed != good {
		t.Errorf("%d of %d good messages were done when the failing poison got its last delivery, want all", flowed, good)
	}
	checkPoisonDeadLetters(t, deadLetters(t, rdb, dl), poison)
	results.add(t, row{
		scenario: "poison (fail, panic, permanent)", messages: good + len(poison), handled: res.handled + len(poison),
		lost: res.lost, duplicates: res.duplicates, elapsed: elapsed,
		notes: fmt.Sprintf("%d dead-lettered with reason; %d/%d good done before the poison's last delivery",
			len(poison), flowed, good),
	})
}

// publishPoison publishes one message of each poison kind and returns
// their kinds by entry ID.
func publishPoison(t *testing.T, pub *redisstream.Publisher, stream string) map[string]string {
	t.Helper()
	poison := map[string]string{}
	for _, pk := range poisonKinds {
		id, err := pub.Publish(context.Background(), stream, "job", map[string]any{"kind": pk.kind})
		if err != nil {
			t.Fatal(err)
		}
		poison[id] = pk.kind
	}
	return poison
}

// checkPoisonDeadLetters checks one dead-letter entry per poison message,
// with its reason, attempts and original fields.
func checkPoisonDeadLetters(t *testing.T, got map[string][]map[string]any, poison map[string]string) {
	t.Helper()
	for id, kind := range poison {
		entries := got[id]
		if len(entries) != 1 {
			t.Errorf("%s message %s: %d dead-letter entries, want 1", kind, id, len(entries))
			continue
		}
		e := entries[0]
		for _, pk := range poisonKinds {
			if pk.kind != kind {
				continue
			}
			if r, _ := e[dispatcher.DeadReasonField].(string); !strings.Contains(r, pk.reason) {
				t.Errorf("%s message: dead_reason %q, want it to contain %q", kind, r, pk.reason)
			}
			if a := e[dispatcher.DeadAttemptsField]; a != pk.attempts {
				t.Errorf("%s message: dead_attempts %v, want %s", kind, a, pk.attempts)
			}
			if e["kind"] != kind || e["type"] != "job" {
				t.Errorf("%s message: original fields not kept: %v", kind, e)
			}
		}
	}
}
