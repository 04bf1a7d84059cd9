package redisstream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// TestPartitionedPublisher checks that every event lands in the partition
// of its key, in publish order per key, through Publish and PublishBatch,
// and that events without a key spread round-robin.
func TestPartitionedPublisher(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	stream, err := partition.New("orders", 4)
	if err != nil {
		t.Fatal(err)
	}
	pub := redisstream.NewPartitionedPublisher(redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), stream)

	want := make(map[string][]string) // partition stream -> "key/seq" in publish order
	var batch []redisstream.KeyedEvent
	for seq := range 40 {
		key := fmt.Sprintf("k%d", seq%10)
		part := stream.Key(stream.For(key))
		want[part] = append(want[part], fmt.Sprintf("%s/%d", key, seq))
		if seq < 20 {
			got, id, err := pub.Publish(ctx, key, "e", map[string]any{"key": key, "seq": strconv.Itoa(seq)})
			if err != nil || got != part || id == "" {
				t.Fatalf("Publish(%s) = %q, %q, %v; want stream %q", key, got, id, err, part)
			}
			continue
		}
		batch = append(batch, redisstream.KeyedEvent{Key: key, Type: "e", Payload: map[string]any{"key": key, "seq": strconv.Itoa(seq)}})
	}
	ids, err := pub.PublishBatch(ctx, batch)
	if err != nil || len(ids) != len(batch) || slices.Contains(ids, "") {
		t.Fatalf("PublishBatch = %v, %v", ids, err)
	}
	for i := range stream.Partitions() {
		msgs, err := rdb.XRange(ctx, stream.Key(i), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			got = append(got, fmt.Sprintf("%s/%s", m.Values["key"], m.Values["seq"]))
		}
		if !slices.Equal(got, want[stream.Key(i)]) {
			t.Errorf("partition %d holds %v, want %v", i, got, want[stream.Key(i)])
		}
	}

	// Without a key: round-robin, 3 events per partition for 12 events.
	before := lengths(t, rdb, stream)
	for range 6 {
		if _, _, err := pub.Publish(ctx, "", "e", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pub.PublishBatch(ctx, slices.Repeat([]redisstream.KeyedEvent{{Type: "e"}}, 6)); err != nil {
		t.Fatal(err)
	}
	after := lengths(t, rdb, stream)
	for i := range after {
		if after[i]-before[i] != 3 {
			t.Errorf("round-robin: partition %d got %d of 12 events without a key, want 3", i, after[i]-before[i])
		}
	}

	// An event that cannot be encoded fails its partition's batch; the
	// events of the other partitions are written and have their IDs.
	bad := []redisstream.KeyedEvent{{Key: "k0", Type: "e"}, {Key: "k1", Type: ""}}
	if stream.For("k0") == stream.For("k1") {
		t.Fatal("test keys k0 and k1 share a partition")
	}
	ids, err = pub.PublishBatch(ctx, bad)
	if !errors.Is(err, dispatcher.ErrEncode) || ids[0] == "" || ids[1] != "" {
		t.Errorf("PublishBatch with an event without type = %q, %v; want the first written and ErrEncode", ids, err)
	}
}

// lengths returns the length of every partition of stream.
func lengths(t *testing.T, rdb redis.UniversalClient, stream partition.Stream) []int64 {
	t.Helper()
	out := make([]int64, stream.Partitions())
	for i := range out {
		n, err := rdb.XLen(context.Background(), stream.Key(i)).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = n
	}
	return out
}
