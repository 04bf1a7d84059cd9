package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

const (
	// clusterMasters, scalePartitions and scaleConsumers shape the
	// partitioned scenario: 12 partitions over 3 masters, 3 consumers.
	clusterMasters, scalePartitions, scaleConsumers = 3, 12, 3
	// scaleKeys is the number of event keys spread over the partitions.
	scaleKeys = 1000
	// scaleLeaseTTL is the consumers' lease TTL.
	scaleLeaseTTL = 2 * time.Second
)

// partitioned starts a 3-master cluster and consumes the same N no-op
// messages with one Processor on one unpartitioned stream, then with 3
// PartitionedProcessors (each with its own cluster client, as separate
// processes would have) on 12 partitions, alternating -rounds times:
// partitioned_scale is the best rate of the 3 over the best of the 1. Each
// run publishes first, behind a consumer group that starts at the end of
// the stream, starts its consumers (and waits until the 3 own 4 partitions
// each), then moves the group back to the start (XGROUP SETID 0): the
// clock runs from there until every message was handled. If no cluster
// can start here, it says why and the row is skipped.
func (b *bench) partitioned(ctx context.Context) error {
	cl, err := startCluster(ctx, clusterMasters)
	if err != nil {
		b.res.partitionedSkipped = err.Error()
		fmt.Fprintf(b.progress, "bench: partitioned: skipped, no Redis Cluster here: %v\n", err)
		return nil
	}
	defer cl.stop()
	admin := cl.client()
	defer admin.Close()
	stream, err := partition.New(b.env.prefix+"scale", scalePartitions)
	if err != nil {
		return err
	}
	spread, err := partitionsPerMaster(ctx, admin, stream)
	if err != nil {
		return err
	}
	n := min(b.opts.n, 100_000)
	var one, three trials
	var redisOne, redisThree []time.Duration
	for round := range b.opts.rounds {
		single := fmt.Sprintf("%sscale-single-%d", b.env.prefix, round)
		t, rcpu, err := b.scaleRun(ctx, admin, n, []string{single}, func(ctx context.Context) (func() error, error) {
			return b.startSingle(ctx, cl, single, n)
		})
		if err != nil {
			return fmt.Errorf("1 consumer: %w", err)
		}
		one, redisOne = append(one, t), append(redisOne, rcpu)
		t, rcpu, err = b.scaleRun(ctx, admin, n, stream.Keys(), func(ctx context.Context) (func() error, error) {
			return b.startPartitioned(ctx, cl, stream, n)
		})
		if err != nil {
			return fmt.Errorf("3 consumers: %w", err)
		}
		three, redisThree = append(three, t), append(redisThree, rcpu)
	}
	b.res.partitioned1, b.res.partitioned3 = rate(n, one.best()), rate(n, three.best())
	b.addRow("cluster: 1 Processor, 1 stream (no-op)", n, one,
		fmt.Sprintf("baseline; stream on 1 of 3 masters; redis CPU %s", perMsg(slices.Min(redisOne), n)))
	b.addRow(fmt.Sprintf("cluster: %d PartitionedProcessors, %d partitions", scaleConsumers, scalePartitions), n, three,
		fmt.Sprintf("x%.2f 1 consumer; partitions per master %s; redis CPU %s",
			b.res.partitioned3/b.res.partitioned1, spread, perMsg(slices.Min(redisThree), n)))
	return nil
}

// scaleRun publishes n messages over keys to streams (a partition's key
// picks the partition: see publishScale), with the group at their end,
// starts the consumers with start, moves the group to the start of every
// stream and waits for their stop function's count; it returns the time
// from the move until every message was handled, the CPU time of this
// process meanwhile, and that of the masters. The streams are deleted
// afterwards.
func (b *bench) scaleRun(ctx context.Context, admin *redis.ClusterClient, n int, streams []string,
	start func(context.Context) (func() error, error)) (t trial, rcpu time.Duration, err error) {
	defer func() {
		for _, s := range streams {
			_ = admin.Del(context.WithoutCancel(ctx), s, dispatcher.DeadLetterStream(s)).Err()
		}
	}()
	if err := b.publishScale(ctx, admin, streams, n); err != nil {
		return trial{}, 0, err
	}
	for _, s := range streams {
		if err := admin.XGroupCreateMkStream(ctx, s, group, "$").Err(); err != nil {
			return trial{}, 0, fmt.Errorf("create group on %s: %w", s, err)
		}
	}
	err = b.bounded(ctx, func(ctx context.Context) error {
		wait, err := start(ctx)
		if err != nil {
			return err
		}
		begin, cpu := time.Now(), cpuTime()
		for _, s := range streams {
			if err := admin.XGroupSetID(ctx, s, group, "0").Err(); err != nil {
				return errors.Join(fmt.Errorf("XGROUP SETID %s: %w", s, err), wait())
			}
		}
		redis0 := redisCPU(ctx, admin)
		err = wait()
		t = trial{wall: time.Since(begin), cpu: cpuTime() - cpu}
		rcpu = time.Duration((redisCPU(ctx, admin) - redis0) * float64(time.Second))
		return err
	})
	return t, rcpu, err
}

// redisCPU returns the CPU seconds (user and system) the masters of rdb
// used so far, from INFO cpu; 0 for a master that did not answer.
func redisCPU(ctx context.Context, rdb *redis.ClusterClient) float64 {
	var mu sync.Mutex
	var total float64
	_ = rdb.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "cpu").Result()
		if err != nil {
			return nil
		}
		for _, line := range strings.Split(info, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			if f, err := strconv.ParseFloat(v, 64); err == nil && (k == "used_cpu_sys" || k == "used_cpu_user") {
				mu.Lock()
				total += f
				mu.Unlock()
			}
		}
		return nil
	})
	return total
}

// publishScale publishes n dataset messages with keys k0..k999 in turn: to
// the partitions of streams by key when there are several (as a
// PartitionedPublisher would), else to its one stream.
func (b *bench) publishScale(ctx context.Context, rdb redis.UniversalClient, streams []string, n int) error {
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for first := 0; first < n; first += b.opts.pubBatch {
		batch := make(map[string][]redisstream.Event)
		for i := first; i < min(n, first+b.opts.pubBatch); i++ {
			key := "k" + strconv.Itoa(i%scaleKeys)
			s := streams[partition.Of(key, len(streams))]
			batch[s] = append(batch[s], redisstream.Event{Type: eventType, Payload: b.data.payloadAt(i)})
		}
		for s, events := range batch {
			if _, err := pub.PublishBatch(ctx, s, events); err != nil {
				return fmt.Errorf("publish to %s: %w", s, err)
			}
		}
	}
	return nil
}

// partitionsPerMaster returns how many of stream's partitions each master
// serves, such as "4/4/4", in the order of the masters' addresses.
func partitionsPerMaster(ctx context.Context, rdb *redis.ClusterClient, stream partition.Stream) (string, error) {
	per := map[string]int{}
	for _, k := range stream.Keys() {
		node, err := rdb.MasterForKey(ctx, k)
		if err != nil {
			return "", fmt.Errorf("master of %s: %w", k, err)
		}
		per[node.Options().Addr]++
	}
	var counts []string
	for _, addr := range slices.Sorted(maps.Keys(per)) {
		counts = append(counts, strconv.Itoa(per[addr]))
	}
	for len(counts) < clusterMasters {
		counts = append(counts, "0")
	}
	return strings.Join(counts, "/"), nil
}

// perMsg formats d spread over n messages in µs.
func perMsg(d time.Duration, n int) string {
	return fmt.Sprintf("%.2f µs/msg", float64(d)/1e3/float64(n))
}
