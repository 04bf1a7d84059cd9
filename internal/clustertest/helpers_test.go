package clustertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

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

// eventually polls cond until it holds, or fails t after waitTimeout.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	streamtest.Eventually(t, waitTimeout, what, cond)
}

// publishN adds n events of type typ to stream and returns the entries.
func publishN(t testing.TB, pub *redisstream.Publisher, stream, typ string, n int) []streamtest.Entry {
	t.Helper()
	return streamtest.Entries(stream, streamtest.MustPublish(t, pub, stream, typ, n))
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
