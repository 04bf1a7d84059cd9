package clustertest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestClusterPartitionedConsume consumes a 12-partition stream on the
// 3-master cluster with 3 PartitionedProcessors, each on its own cluster
// client: they share the partitions 4 each (leases, fencing tokens and
// fenced acks are Lua scripts on keys of one partition's slot), every
// event is handled and acknowledged, and each key's events run in publish
// order (Concurrency 1 per partition, no handover).
func TestClusterPartitionedConsume(t *testing.T) {
	t.Parallel()
	c, rdb := startCluster(t)
	stream, err := partition.New("orders", 12)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seqs := make(map[string][]int)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("e", func(_ context.Context, msg *dispatcher.Message) error {
		seq, err := strconv.Atoi(msg.Fields["seq"])
		if err != nil {
			return dispatcher.Permanent(err)
		}
		mu.Lock()
		seqs[msg.Fields["key"]] = append(seqs[msg.Fields["key"]], seq)
		mu.Unlock()
		return nil
	})
	var procs []*redisstream.PartitionedProcessor
	for i := range 3 {
		crdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), PoolSize: 64})
		cfg := fastConfig(zaptest.NewLogger(t, zaptest.Level(zapcore.WarnLevel)))
		cfg.Consumer, cfg.Concurrency = fmt.Sprintf("c%d", i), 1
		cfg.MinIdle, cfg.ReclaimInterval = time.Minute, 10*time.Second // no redelivery of a queued entry
		t.Cleanup(func() { _ = crdb.Close() })                         // after the Shutdown registered next
		p := streamtest.StartPartitioned(t, crdb, d, redisstream.PartitionedConfig{
			Stream: stream, LeaseTTL: 2 * time.Second, Processor: cfg,
		})
		procs = append(procs, p)
	}
	eventually(t, "3 consumers own 4 partitions each", func() bool {
		return !slices.ContainsFunc(procs, func(p *redisstream.PartitionedProcessor) bool {
			return len(p.Coordinator().Status().Owned) != 4
		})
	})
	pub := redisstream.NewPartitionedPublisher(redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), stream)
	const n, keys = 6000, 100
	var batch []redisstream.KeyedEvent
	for i := range n {
		key := fmt.Sprintf("key-%d", i%keys)
		batch = append(batch, redisstream.KeyedEvent{Key: key, Type: "e",
			Payload: map[string]string{"key": key, "seq": strconv.Itoa(i / keys)}})
	}
	if _, err := pub.PublishBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every event is handled and acknowledged", func() bool {
		for _, s := range stream.Keys() {
			if pending(t, rdb, s, "g") != 0 || groupInfo(t, rdb, s, "g").Lag != 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for k := range keys {
		got := seqs[fmt.Sprintf("key-%d", k)]
		want := make([]int, n/keys)
		for i := range want {
			want[i] = i
		}
		if !slices.Equal(got, want) {
			t.Errorf("key-%d handled %v, want %v", k, got, want)
		}
	}
}
