package redisstream_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// scenariosEnv gates the 100,000-event scenarios, which CI runs in a step
// of their own without the race detector.
const scenariosEnv = "STREAMFX_SCENARIOS"

// TestScenarioPartitionedHandover publishes 100,000 events over 1,000 keys
// into 12 partitions (about 10,000/s, while they are consumed), 1% of them
// failing their first run, consumed by 3 consumers (separate clients) with
// ordered routes (OrderKey "key", Concurrency 16 per consumer: a
// failed event is retried in place while its key waits); at 50,000 handled
// one consumer is killed (client closed: no ack, no lease release), at
// 75,000 a fourth joins. Nothing is lost, and for every key the handled
// sequence, duplicates removed keeping the first, equals the publish order.
// The rebalance times are logged: from the kill until every partition is
// owned again and until the survivors are balanced, and from the fourth's
// start until balanced.
func TestScenarioPartitionedHandover(t *testing.T) {
	if os.Getenv(scenariosEnv) != "1" {
		t.Skip("100,000-event scenario: run with " + scenariosEnv + "=1 (CI's scenario step, without -race)")
	}
	const total, keys, partitions, failEvery = 100_000, 1_000, 12, 100
	srv := redistest.Start(t)
	admin := srv.Client(t)
	stream, err := partition.New("scenario", partitions)
	if err != nil {
		t.Fatal(err)
	}
	log := &keyLog{}
	events, published := keyedEvents(total, keys)
	for i := failEvery / 2; i < total; i += failEvery {
		events[i].Payload.(map[string]string)[failOnceField] = "1"
	}
	// Published while consumed, 500 events every 50ms (about 10,000/s), so
	// that the kill and the join happen mid-stream.
	publishErr := make(chan error, 1)
	go func() { publishErr <- publishPaced(admin, stream, events, 50*time.Millisecond) }()
	t.Cleanup(func() {
		if err := <-publishErr; err != nil {
			t.Errorf("publish: %v", err)
		}
	})
	ordered := func(cfg *redisstream.PartitionedConfig) {
		cfg.Processor.OrderKey, cfg.Processor.Concurrency = "key", 16
	}

	start := time.Now()
	consumers := []*partitionedConsumer{
		startPartitioned(t, srv.Addr, "c1", stream, log, ordered),
		startPartitioned(t, srv.Addr, "c2", stream, log, ordered),
		startPartitioned(t, srv.Addr, "c3", stream, log, ordered),
	}
	waitLong(t, "3 consumers own 4 partitions each", balanced(consumers, 4))
	t.Logf("3 consumers balanced after %v", time.Since(start))

	waitLong(t, "half the events are handled", func() bool { return log.handled.Load() >= total/2 })
	consumers[0].kill()
	killed, atKill := time.Now(), log.handled.Load()
	survivors := consumers[1:]
	waitLong(t, "the survivors own every partition", func() bool { return sum(owned(survivors)) == partitions })
	ownedAgain := time.Since(killed)
	waitLong(t, "the 2 survivors own 6 partitions each", balanced(survivors, 6))
	t.Logf("c1 killed at %d handled: every partition owned again after %v, survivors balanced after %v (LeaseTTL 2s)",
		atKill, ownedAgain, time.Since(killed))

	waitLong(t, "three quarters are handled", func() bool { return log.handled.Load() >= total*3/4 })
	joined, atJoin := time.Now(), log.handled.Load()
	survivors = append(survivors, startPartitioned(t, srv.Addr, "c4", stream, log, ordered))
	waitLong(t, "3 consumers own 4 partitions each after c4 joined", balanced(survivors, 4))
	t.Logf("c4 joined at %d handled: balanced after %v", atJoin, time.Since(joined))

	waitLong(t, "every event is handled and acknowledged", func() bool {
		for _, s := range stream.Keys() {
			if pending(t, admin, s, "g") != 0 {
				return false
			}
		}
		return log.handled.Load() == total
	})
	dups := log.check(t, published)
	if want := int64(total / failEvery); log.failures.Load() != want {
		t.Errorf("%d events failed once, want %d", log.failures.Load(), want)
	}
	for i := range partitions {
		if n := admin.XLen(context.Background(), stream.DeadLetter(i)).Val(); n != 0 {
			t.Errorf("partition %d has %d dead letters, want 0", i, n)
		}
	}
	t.Logf("%d events handled in %v, %d failed once and ran again in place, %d more than once "+
		"(the killed consumer's unacknowledged ones)", total, time.Since(start), log.failures.Load(), dups)
}

// owned returns how many partitions each of cs owns.
func owned(cs []*partitionedConsumer) []int {
	var n []int
	for _, c := range cs {
		n = append(n, len(c.p.Coordinator().Status().Owned))
	}
	return n
}

// balanced returns a condition true once each of cs owns each partitions.
func balanced(cs []*partitionedConsumer, each int) func() bool {
	return func() bool {
		return !slices.ContainsFunc(owned(cs), func(n int) bool { return n != each })
	}
}

func sum(ns []int) (s int) {
	for _, n := range ns {
		s += n
	}
	return s
}

// waitLong waits for cond up to 5 minutes: the scenarios move 100,000
// events on a shared machine.
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	streamtest.Eventually(t, 5*time.Minute, what, cond)
}
