package clustertest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// waitTimeout bounds every wait for an eventual condition.
const waitTimeout = 20 * time.Second

// Stream names whose hash tags land on three different masters of a
// 3-master cluster created by redis-cli (slots 105, 8507 and 14124);
// requireSpread checks it on the running cluster.
const (
	ordersStream   = "{orders}"
	paymentsStream = "{payments}"
	usersStream    = "{users}"
	// untaggedStream has no hash tag: it and its dead-letter stream
	// "audit-log:dead" hash to different slots (15749 and 656).
	untaggedStream = "audit-log"
)

// startCluster starts a 3-master Redis Cluster for t and returns it with a
// cluster client; both are stopped when t ends.
func startCluster(t *testing.T) (*redistest.Cluster, *redis.ClusterClient) {
	t.Helper()
	c := redistest.StartCluster(t, 3)
	return c, c.Client(t)
}

// nodeOf returns the address of the master that serves key.
func nodeOf(t testing.TB, rdb *redis.ClusterClient, key string) string {
	t.Helper()
	node, err := rdb.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatalf("master for key %q: %v", key, err)
	}
	return node.Options().Addr
}

// slotOf returns the hash slot of key, asked to the cluster (CLUSTER KEYSLOT).
func slotOf(t testing.TB, rdb *redis.ClusterClient, key string) int64 {
	t.Helper()
	slot, err := rdb.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT %q: %v", key, err)
	}
	return slot
}

// requireSpread fails t unless every key is served by a different master.
func requireSpread(t testing.TB, rdb *redis.ClusterClient, keys ...string) {
	t.Helper()
	seen := make(map[string]string, len(keys))
	for _, k := range keys {
		n := nodeOf(t, rdb, k)
		if other, ok := seen[n]; ok {
			t.Fatalf("%q and %q are both served by %s; the test needs them on different masters", other, k, n)
		}
		seen[n] = k
	}
}

// fastConfig returns a processor config with short intervals for tests.
func fastConfig(log *zap.Logger, streams ...string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams:         streams,
		Group:           "g",
		Consumer:        "c1",
		BatchSize:       50,
		Block:           50 * time.Millisecond,
		Concurrency:     8,
		MinIdle:         300 * time.Millisecond,
		ReclaimInterval: 50 * time.Millisecond,
		MaxDeliveries:   3,
		Logger:          log,
	}
}

// entryRef names one stream entry: entry IDs are per stream, so two
// streams on two masters can hold the same ID.
type entryRef struct{ stream, id string }

func (e entryRef) String() string { return e.stream + "/" + e.id }

// refs returns the entries ids of stream.
func refs(stream string, ids []string) []entryRef {
	out := make([]entryRef, len(ids))
	for i, id := range ids {
		out[i] = entryRef{stream, id}
	}
	return out
}

// recorder counts the handler runs per entry and their attempts.
type recorder struct {
	mu   sync.Mutex
	runs map[entryRef][]int // attempts of each run
}

func newRecorder() *recorder { return &recorder{runs: map[entryRef][]int{}} }

// handle records msg and succeeds.
func (r *recorder) handle(_ context.Context, msg *dispatcher.Message) error {
	r.record(msg)
	return nil
}

func (r *recorder) record(msg *dispatcher.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := entryRef{msg.Stream, msg.ID}
	r.runs[k] = append(r.runs[k], msg.Attempt)
}

// attempts returns the attempts of every run of e.
func (r *recorder) attempts(e entryRef) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.runs[e]...)
}

// handledAll reports whether every entry ran at least once.
func (r *recorder) handledAll(want []entryRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range want {
		if len(r.runs[e]) == 0 {
			return false
		}
	}
	return true
}

// exactlyOnce fails t unless each entry of want ran once and nothing else ran.
func (r *recorder) exactlyOnce(t testing.TB, want []entryRef) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	set := make(map[entryRef]bool, len(want))
	for _, e := range want {
		set[e] = true
		if n := len(r.runs[e]); n != 1 {
			t.Errorf("entry %s handled %d times, want 1", e, n)
		}
	}
	var extra []string
	for e := range r.runs {
		if !set[e] {
			extra = append(extra, e.String())
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("%d entries handled that were not expected: %v", len(extra), extra)
	}
}

// count returns the number of distinct entries handled.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

// duplicates returns how many runs beyond the first the entries had.
func (r *recorder) duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, runs := range r.runs {
		n += len(runs) - 1
	}
	return n
}

// eventually polls cond until it holds, or fails t after waitTimeout.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	streamtest.Eventually(t, waitTimeout, what, cond)
}

// publishN adds n events of type typ to stream and returns the entries.
func publishN(t testing.TB, pub *redisstream.Publisher, stream, typ string, n int) []entryRef {
	t.Helper()
	return refs(stream, streamtest.MustPublish(t, pub, stream, typ, n))
}

// pending returns the number of entries in the PEL of stream's group.
func pending(t testing.TB, rdb redis.UniversalClient, stream, group string) int64 {
	t.Helper()
	return streamtest.Pending(t, rdb, stream, group)
}

// groupInfo returns XINFO GROUPS of stream for group.
func groupInfo(t testing.TB, rdb redis.UniversalClient, stream, group string) redis.XInfoGroup {
	t.Helper()
	groups, err := rdb.XInfoGroups(context.Background(), stream).Result()
	if err != nil {
		t.Fatalf("XINFO GROUPS %s: %v", stream, err)
	}
	for _, g := range groups {
		if g.Name == group {
			return g
		}
	}
	t.Fatalf("stream %s has no group %s", stream, group)
	return redis.XInfoGroup{}
}

// entries returns every entry of stream.
func entries(t testing.TB, rdb redis.UniversalClient, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE %s: %v", stream, err)
	}
	return msgs
}

// observed returns a logger that writes warnings and errors to t and
// records every entry from debug up.
func observed(t testing.TB) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	tl := zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel))
	return zap.New(zapcore.NewTee(tl.Core(), core)), logs
}

// logged reports whether logs hold an entry with message msg.
func logged(logs *observer.ObservedLogs, msg string) bool {
	return logs.FilterMessage(msg).Len() > 0
}

// describe returns "key (slot S on node N)" for log lines.
func describe(t testing.TB, rdb *redis.ClusterClient, key string) string {
	t.Helper()
	return fmt.Sprintf("%s (slot %d on %s)", key, slotOf(t, rdb, key), nodeOf(t, rdb, key))
}
