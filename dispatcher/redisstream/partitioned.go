package redisstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// KeyedEvent is one event of a PartitionedPublisher batch.
type KeyedEvent struct {
	// Key picks the partition (see partition.Of). Events with the same key
	// go to the same partition, in the order published; an empty key picks
	// the next partition round-robin.
	Key string
	// Type is the event type, written to the "type" field.
	Type string
	// Payload is nil, a map with string keys, or anything that marshals to
	// a JSON object; see dispatcher.EncodeFields.
	Payload any
}

// PartitionedPublisher publishes to the partitions of a partitioned stream
// through a Publisher, which keeps its configuration (trimming, the
// WithFields hook). An event's key picks its partition with partition.Of,
// which a Python producer computes too (see the README); events without a
// key spread round-robin over the partitions. It is safe for concurrent
// use; the Publisher and its Redis client belong to the caller.
type PartitionedPublisher struct {
	pub    *Publisher
	stream partition.Stream
	next   atomic.Uint64 // the round-robin counter of events without a key
}

// NewPartitionedPublisher returns a PartitionedPublisher writing the
// partitions of stream through pub. It panics if pub is nil or stream is
// the zero value (wiring mistakes).
func NewPartitionedPublisher(pub *Publisher, stream partition.Stream) *PartitionedPublisher {
	if pub == nil || stream.Partitions() == 0 {
		panic("redisstream: NewPartitionedPublisher needs a Publisher and a stream from partition.New")
	}
	return &PartitionedPublisher{pub: pub, stream: stream}
}

// Stream returns the partitioned stream published to.
func (p *PartitionedPublisher) Stream() partition.Stream { return p.stream }

// Publish appends one event to the partition of key (the next one
// round-robin if key is empty) and returns the partition's stream key and
// the entry ID.
func (p *PartitionedPublisher) Publish(ctx context.Context, key, eventType string, payload any) (stream, id string, err error) {
	stream = p.stream.Key(p.partitionOf(key))
	id, err = p.pub.Publish(ctx, stream, eventType, payload)
	return stream, id, err
}

// PublishBatch appends events to their partitions and returns their entry
// IDs in order. The events of each partition, in their order in events, go
// in one Publisher.PublishBatch, and the partitions are written
// concurrently. If a partition fails, the error is that of the failed
// partition with the lowest number, wrapping its Publisher.PublishBatch
// error (whose event index counts within the partition's events); events
// of the other partitions may have been written. As
// with Publisher.PublishBatch, an event with an ID was written: to retry,
// publish again the events whose ID is empty (with the same keys, so that
// they keep their partition; an event without a key may then land in
// another partition).
func (p *PartitionedPublisher) PublishBatch(ctx context.Context, events []KeyedEvent) ([]string, error) {
	byPartition := make(map[int][]int) // partition -> indexes into events
	for i, e := range events {
		n := p.partitionOf(e.Key)
		byPartition[n] = append(byPartition[n], i)
	}
	ids := make([]string, len(events))
	errs := make([]error, p.stream.Partitions())
	var wg sync.WaitGroup
	for n, idx := range byPartition {
		wg.Go(func() {
			batch := make([]Event, len(idx))
			for j, i := range idx {
				batch[j] = Event{Type: events[i].Type, Payload: events[i].Payload}
			}
			got, err := p.pub.PublishBatch(ctx, p.stream.Key(n), batch)
			for j, id := range got {
				ids[idx[j]] = id
			}
			if err != nil {
				errs[n] = fmt.Errorf("redisstream: partition %d of %s: %w", n, p.stream.Name(), err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return ids, err
		}
	}
	return ids, nil
}

// partitionOf returns the partition of key, or the next one round-robin if
// key is empty.
func (p *PartitionedPublisher) partitionOf(key string) int {
	if key == "" {
		return int((p.next.Add(1) - 1) % uint64(p.stream.Partitions()))
	}
	return p.stream.For(key)
}
