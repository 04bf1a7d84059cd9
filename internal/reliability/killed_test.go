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
	const stream, handled = "killed", "killed:handled"
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	begin := time.Now()

	victim := startConsumer(t, srv.Addr, stream, "victim", handled)
	survivor := startConsumer(t, srv.Addr, stream, "survivor", handled)
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
		return hlen(t, rdb, handled) >= int64(n/3) && pendingOf(t, rdb, stream, victim.name) > 0
	})
	victim.kill(syscall.SIGKILL)
	held := pendingIDs(t, rdb, stream, victim.name)
	pr := <-published
	ids := pr.ids
	if pr.err != nil || len(ids) != n {
		t.Fatalf("published %d entries, want %d (%v)", len(ids), n, pr.err)
	}
	streamtest.Eventually(t, 3*time.Minute, "every entry is handled and acknowledged", func() bool {
		return hlen(t, rdb, handled) >= int64(n) && streamtest.Pending(t, rdb, stream, consumerGroup) == 0
	})
	survivor.kill(syscall.SIGTERM)
	if survivor.err != nil {
		t.Errorf("survivor exited with %v:\n%s", survivor.err, survivor.tail())
	}
	elapsed := time.Since(begin)

	counts := handledRuns(t, rdb, handled)
	res := tallyRuns(counts, ids)
	res.check(t)
	for id, c := range counts {
		if c > 1 && !held[id] {
			t.Errorf("entry %s handled %d times but was not pending for the victim when it died", id, c)
		}
	}
	reclaimed := reclaimedEntries(t, survivor)
	if reclaimed < len(held) {
		t.Errorf("survivor reclaimed %d entries, want at least the %d the victim held", reclaimed, len(held))
	}
	results.add(t, row{
		scenario: "consumer killed (SIGKILL)", messages: n, handled: res.handled, lost: res.lost,
		duplicates: res.duplicates, elapsed: elapsed,
		notes: fmt.Sprintf("victim held %d pending at SIGKILL, survivor reclaimed %d, duplicates <= held",
			len(held), reclaimed),
	})
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
