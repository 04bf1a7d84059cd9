package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestReliabilityConsumerKilled publishes 100,000 entries (fewer under the
// race detector) while two consumer processes share one group, kills one
// with SIGKILL mid-stream, and lets the survivor reclaim what the victim
// held. Every entry must be handled at least once, and every duplicate must
// be an entry that was pending for the victim when it died.
func TestReliabilityConsumerKilled(t *testing.T) {
	n := scaled(100_000, 5)
	srv := redistest.Start(t)
	k := runKilledConsumer(t, srv, "killed", n)
	k.tally.check(t)
	for id, c := range k.runs {
		if c > 1 && !k.held[id] {
			t.Errorf("entry %s handled %d times but was not pending for the victim when it died", id, c)
		}
	}
	reclaimed := reclaimedEntries(t, k.survivor)
	if reclaimed < len(k.held) {
		t.Errorf("survivor reclaimed %d entries, want at least the %d the victim held", reclaimed, len(k.held))
	}
	results.add(t, row{
		scenario: "consumer killed (SIGKILL)", messages: n, handled: k.tally.handled, lost: k.tally.lost,
		duplicates: k.tally.duplicates, elapsed: k.elapsed,
		notes: fmt.Sprintf("victim held %d pending at SIGKILL, survivor reclaimed %d, duplicates <= held",
			len(k.held), reclaimed),
	})
}

// killedRun is what runKilledConsumer saw.
type killedRun struct {
	handled  string          // the hash of runs per entry ID: <stream>:handled
	ids      []string        // the IDs published, in order
	held     map[string]bool // the IDs pending for the victim when it died
	runs     map[string]int  // runs per entry ID, from the handled hash
	tally    tally           // runs against ids
	survivor *child          // stopped with SIGTERM
	elapsed  time.Duration   // from the consumers' start to the survivor's stop
}

// runKilledConsumer starts two consumer processes (with the extra env) that
// share one group on stream and record their runs in <stream>:handled,
// publishes n entries, kills the victim with SIGKILL once a third is handled
// and it holds some, waits until every entry is handled and acknowledged,
// stops the survivor with SIGTERM (a failed exit is an error) and returns
// the runs.
func runKilledConsumer(t *testing.T, srv *redistest.Server, stream string, n int, env ...string) killedRun {
	t.Helper()
	rdb := srv.Client(t)
	k := killedRun{handled: stream + ":handled"}
	begin := time.Now()
	victim := startConsumer(t, srv.Addr, stream, "victim", k.handled, env...)
	k.survivor = startConsumer(t, srv.Addr, stream, "survivor", k.handled, env...)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	type result struct {
		ids []string
		err error
	}
	published := make(chan result, 1)
	go func() {
		ids, err := streamtest.Publish(pub, stream, consumerType, n)
		published <- result{ids, err}
	}()

	streamtest.Eventually(t, 2*time.Minute, "a third is handled, some of it by the victim", func() bool {
		return hlen(t, rdb, k.handled) >= int64(n/3) && pendingOf(t, rdb, stream, victim.name) > 0
	})
	victim.kill(syscall.SIGKILL)
	k.held = pendingIDs(t, rdb, stream, victim.name)
	pr := <-published
	k.ids = pr.ids
	if pr.err != nil || len(k.ids) != n {
		t.Fatalf("published %d entries, want %d (%v)", len(k.ids), n, pr.err)
	}
	streamtest.Eventually(t, 3*time.Minute, "every entry is handled and acknowledged", func() bool {
		return hlen(t, rdb, k.handled) >= int64(n) && streamtest.Pending(t, rdb, stream, consumerGroup) == 0
	})
	k.survivor.kill(syscall.SIGTERM)
	if k.survivor.err != nil {
		t.Errorf("survivor exited with %v:\n%s", k.survivor.err, k.survivor.tail())
	}
	k.elapsed = time.Since(begin)
	k.runs = handledRuns(t, rdb, k.handled)
	k.tally = tallyRuns(k.runs, k.ids)
	return k
}

// handledRuns returns the runs per entry ID recorded in hash key.
func handledRuns(t testing.TB, rdb *redis.Client, key string) map[string]int {
	t.Helper()
	runs, err := rdb.HGetAll(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[string]int, len(runs))
	for id, v := range runs {
		counts[id], _ = strconv.Atoi(v)
	}
	return counts
}

// hlen returns the number of fields of hash key.
func hlen(t testing.TB, rdb *redis.Client, key string) int64 {
	t.Helper()
	n, err := rdb.HLen(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pendingOf returns how many entries are pending for consumer.
func pendingOf(t testing.TB, rdb *redis.Client, stream, consumer string) int64 {
	t.Helper()
	res, err := rdb.XPending(context.Background(), stream, consumerGroup).Result()
	if err != nil {
		if err.Error() == "NOGROUP No such key '"+stream+"' or consumer group '"+consumerGroup+"'" {
			return 0
		}
		t.Fatal(err)
	}
	return res.Consumers[consumer]
}

// pendingIDs returns the IDs pending for consumer.
func pendingIDs(t testing.TB, rdb *redis.Client, stream, consumer string) map[string]bool {
	t.Helper()
	res, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
		Stream: stream, Group: consumerGroup, Start: "-", End: "+", Count: 1 << 20, Consumer: consumer,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]bool, len(res))
	for _, p := range res {
		ids[p.ID] = true
	}
	return ids
}

// reclaimedEntries sums the "entries" of the child's reclaim log lines.
func reclaimedEntries(t testing.TB, c *child) int {
	t.Helper()
	total := 0
	for _, l := range c.logLines("reclaimed idle entries") {
		var e struct {
			Entries int `json:"entries"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("reclaim log line %q: %v", l, err)
		}
		total += e.Entries
	}
	return total
}
