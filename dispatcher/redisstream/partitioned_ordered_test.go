package redisstream_test

import (
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
)

// orderedByKey makes the Processors of a partitioned consumer ordered by
// the field "key", Concurrency 8, 5 runs before a dead letter.
func orderedByKey(cfg *redisstream.PartitionedConfig) {
	cfg.Processor.OrderKey = "key"
	cfg.Processor.Concurrency = 8
	cfg.Processor.MaxDeliveries = 5
}

// TestPartitionedProcessorOrdered runs ordered Processors (OrderKey,
// Concurrency 8 per partition) under a PartitionedProcessor, at a size for
// the -race suite: 3,000 events over 60 keys in 4 partitions, published
// while consumed, the first run of every tenth event failing (retried in
// place). Consumer a owns every partition; after a quarter is handled b
// joins and takes two of them (a's Processors stop gracefully: entries
// held for their key or for a retry are given back); after three quarters
// a is killed (client closed: no ack, no lease release) and b takes the
// rest. Nothing is lost or dead-lettered, and for every key the handled
// sequence, duplicates removed keeping the first, is the publish order.
// (TestScenarioPartitionedHandover does the same with 100,000 events.)
func TestPartitionedProcessorOrdered(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	admin := srv.Client(t)
	stream, err := partition.New("ordered-handover", 4)
	if err != nil {
		t.Fatal(err)
	}
	log := &keyLog{}
	events, published := keyedEvents(3000, 60)
	for i := 5; i < len(events); i += 10 {
		events[i].Payload.(map[string]string)[failOnceField] = "1"
	}
	// 500 events every 800ms; the handovers happen mid-batch, while keys
	// hold entries.
	publishErr := make(chan error, 1)
	go func() { publishErr <- publishPaced(admin, stream, events, 800*time.Millisecond) }()
	t.Cleanup(func() {
		if err := <-publishErr; err != nil {
			t.Errorf("publish: %v", err)
		}
	})
	a := startPartitioned(t, srv.Addr, "a", stream, log, orderedByKey)
	eventually(t, "a owns every partition", func() bool { return len(a.p.Coordinator().Status().Owned) == 4 })
	eventually(t, "a quarter is handled", func() bool { return log.handled.Load() >= 750 })
	b := startPartitioned(t, srv.Addr, "b", stream, log, orderedByKey)
	eventually(t, "a and b own 2 partitions each", func() bool {
		return len(a.p.Coordinator().Status().Owned) == 2 && len(b.p.Coordinator().Status().Owned) == 2
	})
	t.Logf("b took 2 partitions at %d handled", log.handled.Load())
	eventually(t, "three quarters are handled", func() bool { return log.handled.Load() >= 2250 })
	a.kill()
	t.Logf("a killed at %d handled", log.handled.Load())
	eventually(t, "b owns every partition", func() bool { return len(b.p.Coordinator().Status().Owned) == 4 })
	eventually(t, "every event is handled and acknowledged", func() bool {
		for _, s := range stream.Keys() {
			if pending(t, admin, s, "g") != 0 {
				return false
			}
		}
		return log.handled.Load() == 3000
	})
	dups := log.check(t, published)
	if n := log.failures.Load(); n != 300 {
		t.Errorf("%d events failed once, want 300 (every tenth)", n)
	}
	for i := range stream.Partitions() {
		if dl := deadLetters(t, admin, stream.DeadLetter(i)); len(dl) != 0 {
			t.Errorf("%d dead letters of partition %d, want none", len(dl), i)
		}
	}
	t.Logf("3000 events handled, %d failed once and retried in place, %d handled more than once", log.failures.Load(), dups)
}
