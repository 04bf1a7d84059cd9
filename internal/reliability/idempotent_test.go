package reliability

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
	"github.com/streamfx/streamfx/internal/redistest"
)

// Keys of the idempotent consumers, after the handled hash's name.
const (
	violationsSuffix = ":violations" // hash: entry ID -> runs of "record" that found its own marker
	flakySuffix      = ":flaky"      // hash: entry ID -> runs of "flaky"
	skippedSuffix    = ":skipped"    // counter: Outcome.Skipped summed
)

// idempotentRoutes mounts the routes of an idempotent consumer on d and
// returns the Observer that counts skipped runs in Redis:
//   - "record" counts its runs in the handled hash, as the plain consumer
//     does; first it looks up its own completion marker, and counts a
//     violation if it is there (the Processor ran a route that had
//     completed);
//   - "flaky" fails on its first run for one entry in ten, so that the
//     entry is delivered again and "record" must be skipped.
func idempotentRoutes(d *dispatcher.Dispatcher, rdb *redis.Client, handled string) dispatcher.Observer {
	markers := marker.New(rdb, consumerGroup, marker.DefaultTTL)
	d.OnFunc(consumerType, func(ctx context.Context, msg *dispatcher.Message) error {
		done, err := markers.Completed(ctx, []marker.Query{{Stream: msg.Stream, ID: msg.ID, Routes: []string{"record"}}})
		if err != nil {
			return err
		}
		if len(done[0]) > 0 {
			rdb.HIncrBy(ctx, handled+violationsSuffix, msg.ID, 1)
		}
		return rdb.HIncrBy(ctx, handled, msg.ID, 1).Err()
	}, dispatcher.Named("record"))
	d.OnFunc(consumerType, func(ctx context.Context, msg *dispatcher.Message) error {
		runs, err := rdb.HIncrBy(ctx, handled+flakySuffix, msg.ID, 1).Result()
		if err != nil {
			return err
		}
		if runs == 1 && flaky(msg.ID) {
			return fmt.Errorf("first run of %s fails on purpose", msg.ID)
		}
		return nil
	}, dispatcher.Named("flaky"))
	return skipCounter{rdb: rdb, key: handled + skippedSuffix}
}

// flaky reports whether route "flaky" fails the first run of entry id.
func flaky(id string) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return h.Sum32()%10 == 0
}

// skipCounter is a dispatcher.Observer that adds Outcome.Skipped to a
// Redis counter.
type skipCounter struct {
	rdb *redis.Client
	key string
}

func (s skipCounter) ObserveOutcome(_ *dispatcher.Message, o dispatcher.Outcome) {
	if o.Skipped > 0 {
		s.rdb.IncrBy(context.Background(), s.key, int64(o.Skipped))
	}
}
func (skipCounter) Retried(*dispatcher.Message, string)      {}
func (skipCounter) DeadLettered(*dispatcher.Message, string) {}
func (skipCounter) Reclaimed(string, string, int)            {}

// TestReliabilityConsumerKilledIdempotent is the consumer kill -9 scenario
// with idempotent routes: two consumer processes share a group, one route
// ("flaky") fails its first run for one entry in ten so that those entries
// are delivered again, and one consumer is killed with SIGKILL mid-stream.
// No route may run for an entry once its completion marker was recorded
// (each "record" run checks its own marker first); the redeliveries skip
// "record"; the runs of "record" that still repeat are those of entries
// the victim held when it died, whose marker it had not written yet (the
// window that markers leave open, as acks do).
func TestReliabilityConsumerKilledIdempotent(t *testing.T) {
	n := scaled(20_000, 4)
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	k := runKilledConsumer(t, srv, "killed-idem", n, envIdempotent+"=1")
	res, held, handled, ids := k.tally, k.held, k.handled, k.ids
	res.check(t)
	for id, c := range k.runs {
		if c > 1 && !held[id] {
			t.Errorf("entry %s: route record ran %d times but the entry was not pending for the victim when it died", id, c)
		}
	}
	violations := handledRuns(t, rdb, handled+violationsSuffix)
	for id, c := range violations {
		t.Errorf("entry %s: route record ran %d times after its completion marker was recorded", id, c)
	}
	failedFirst := 0
	for _, id := range ids {
		if flaky(id) {
			failedFirst++
		}
	}
	skipped, _ := strconv.Atoi(rdb.Get(ctx, handled+skippedSuffix).Val())
	if skipped == 0 {
		t.Errorf("no run skipped, with %d entries whose flaky route failed first", failedFirst)
	}
	t.Logf("idempotent kill -9: %d entries, %d with a failed first run of flaky, %d runs skipped, "+
		"%d repeated runs of record (victim held %d at SIGKILL), %d runs after a marker",
		n, failedFirst, skipped, res.duplicates, len(held), len(violations))
	results.add(t, row{
		scenario: "consumer killed (SIGKILL), idempotent routes", messages: n, handled: res.handled, lost: res.lost,
		duplicates: res.duplicates, elapsed: k.elapsed,
		notes: fmt.Sprintf("%d runs skipped (%d entries redelivered by flaky), 0 runs after a marker, duplicates <= held %d",
			skipped, failedFirst, len(held)),
	})
}
