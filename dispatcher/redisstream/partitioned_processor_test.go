package redisstream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// keyLog records, across consumers, the events handled per key in the
// order they ran.
type keyLog struct {
	mu       sync.Mutex
	seqs     map[string][]int
	distinct map[string]bool // "key/seq" handled at least once
	failed   map[string]bool // "key/seq" of the events that failed once
	handled  atomic.Int64    // distinct events handled
	failures atomic.Int64    // events that failed once
}

// failFirst reports whether the run of the event key/seq should fail: the
// first run of an event published with failOnceField, by any consumer.
func (l *keyLog) failFirst(msg *dispatcher.Message) bool {
	if msg.Fields[failOnceField] == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ks := msg.Fields["key"] + "/" + msg.Fields["seq"]
	if l.failed == nil {
		l.failed = make(map[string]bool)
	}
	if l.failed[ks] {
		return false
	}
	l.failed[ks] = true
	l.failures.Add(1)
	return true
}

func (l *keyLog) add(key string, seq int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seqs == nil {
		l.seqs, l.distinct = make(map[string][]int), make(map[string]bool)
	}
	l.seqs[key] = append(l.seqs[key], seq)
	if ks := key + "/" + strconv.Itoa(seq); !l.distinct[ks] {
		l.distinct[ks] = true
		l.handled.Add(1)
	}
}

// check fails t unless, for every key of published (key -> sequence
// numbers in publish order), the handled sequence with duplicates removed
// (keeping the first) equals the publish order; it returns the number of
// events handled more than once.
func (l *keyLog) check(t *testing.T, published map[string][]int) (dups int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	lost, disordered := 0, 0
	for key, want := range published {
		seen := make(map[int]bool)
		var got []int
		for _, s := range l.seqs[key] {
			if seen[s] {
				dups++
				continue
			}
			seen[s] = true
			got = append(got, s)
		}
		lost += len(want) - len(got)
		if !slices.Equal(got, want) {
			if disordered++; disordered <= 3 {
				t.Errorf("key %s handled %v, want %v", key, got, want)
			}
		}
	}
	if lost != 0 || disordered != 0 {
		t.Errorf("lost %d events; %d keys out of order", lost, disordered)
	}
	return dups
}

// failOnceField marks an event whose first run fails (see keyLog.failFirst).
const failOnceField = "fail_once"

// errFailOnce is the error of an event's first run that fails.
var errFailOnce = errors.New("fails once")

// partitionedConsumer is one consumer process: its own client, its
// PartitionedProcessor, and a handler that records into a keyLog until the
// consumer is killed (the first run of an event published with
// failOnceField fails instead).
type partitionedConsumer struct {
	name string
	rdb  *redis.Client
	p    *redisstream.PartitionedProcessor
	dead atomic.Bool
}

// startPartitioned starts a consumer named name on stream with its own
// client; it is shut down when the test ends.
func startPartitioned(t *testing.T, addr, name string, stream partition.Stream, log *keyLog,
	tune func(*redisstream.PartitionedConfig)) *partitionedConsumer {
	t.Helper()
	c := &partitionedConsumer{name: name, rdb: redis.NewClient(&redis.Options{Addr: addr, PoolSize: 64})}
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("e", func(_ context.Context, msg *dispatcher.Message) error {
		if c.dead.Load() {
			return nil // a dead process runs nothing; its ack fails, the entry stays pending
		}
		seq, err := strconv.Atoi(msg.Fields["seq"])
		if err != nil {
			return dispatcher.Permanent(err)
		}
		if log.failFirst(msg) {
			return errFailOnce
		}
		log.add(msg.Fields["key"], seq)
		return nil
	})
	cfg := redisstream.PartitionedConfig{
		Stream:   stream,
		LeaseTTL: 2 * time.Second,
		Processor: redisstream.ProcessorConfig{
			Group: "g", Consumer: name, BatchSize: 20, Block: 50 * time.Millisecond, Concurrency: 1,
			MinIdle: time.Minute, ReclaimInterval: time.Second, Logger: zaptest.NewLogger(t),
		},
	}
	if tune != nil {
		tune(&cfg)
	}
	t.Cleanup(func() { _ = c.rdb.Close() }) // after the Shutdown registered next
	c.p = streamtest.StartPartitioned(t, c.rdb, d, cfg)
	return c
}

// kill stops c abruptly, as a crash would: its client closes, so nothing
// more is acknowledged and no lease released, then its handlers stop
// recording. (In the other order, a handler that returned without
// recording could still be acknowledged: an event lost to the test.)
func (c *partitionedConsumer) kill() {
	_ = c.rdb.Close()
	c.dead.Store(true)
}

// keyedEvents returns n events over keys keys, each with its key and its
// sequence number within the key, and the sequence numbers per key in
// order.
func keyedEvents(n, keys int) ([]redisstream.KeyedEvent, map[string][]int) {
	published := make(map[string][]int)
	events := make([]redisstream.KeyedEvent, n)
	for i := range events {
		key := fmt.Sprintf("key-%d", i%keys)
		seq := len(published[key])
		published[key] = append(published[key], seq)
		events[i] = redisstream.KeyedEvent{Key: key, Type: "e",
			Payload: map[string]string{"key": key, "seq": strconv.Itoa(seq)}}
	}
	return events, published
}

// publishPaced publishes events to stream in batches of 500, waiting pace
// between batches.
func publishPaced(rdb redis.UniversalClient, stream partition.Stream, events []redisstream.KeyedEvent, pace time.Duration) error {
	pub := redisstream.NewPartitionedPublisher(redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), stream)
	for len(events) > 0 {
		n := min(500, len(events))
		if _, err := pub.PublishBatch(context.Background(), events[:n]); err != nil {
			return err
		}
		events = events[n:]
		time.Sleep(pace)
	}
	return nil
}

// publishKeyed publishes n events over keys keys to stream (see
// keyedEvents) and returns the sequence numbers per key in publish order.
func publishKeyed(t *testing.T, rdb redis.UniversalClient, stream partition.Stream, n, keys int) map[string][]int {
	t.Helper()
	events, published := keyedEvents(n, keys)
	if err := publishPaced(rdb, stream, events, 0); err != nil {
		t.Fatal(err)
	}
	return published
}

// TestPartitionedProcessorHandover runs 3,000 events over 60 keys in 4
// partitions through consumers that run one handler at a time
// (Concurrency 1): a kills abruptly after a third (client closed, no ack,
// no lease release), c joins after two thirds. Nothing is lost, and for
// every key the handled sequence, duplicates removed keeping the first,
// is the publish order: each new owner ran the previous owner's pending
// entries first.
func TestPartitionedProcessorHandover(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	admin := srv.Client(t)
	stream, err := partition.New("handover", 4)
	if err != nil {
		t.Fatal(err)
	}
	log := &keyLog{}
	published := publishKeyed(t, admin, stream, 3000, 60)
	a := startPartitioned(t, srv.Addr, "a", stream, log, nil)
	b := startPartitioned(t, srv.Addr, "b", stream, log, nil)
	eventually(t, "a third is handled", func() bool { return log.handled.Load() >= 1000 })
	a.kill()
	start := time.Now()
	eventually(t, "b owns every partition", func() bool { return len(b.p.Coordinator().Status().Owned) == 4 })
	t.Logf("a killed: b owned every partition after %v", time.Since(start))
	eventually(t, "two thirds are handled", func() bool { return log.handled.Load() >= 2000 })
	c := startPartitioned(t, srv.Addr, "c", stream, log, nil)
	start = time.Now()
	eventually(t, "b and c own 2 partitions each", func() bool {
		return len(b.p.Coordinator().Status().Owned) == 2 && len(c.p.Coordinator().Status().Owned) == 2
	})
	t.Logf("c joined: balanced after %v", time.Since(start))
	eventually(t, "every event is handled and acknowledged", func() bool {
		for _, s := range stream.Keys() {
			if pending(t, admin, s, "g") != 0 {
				return false
			}
		}
		return log.handled.Load() == 3000
	})
	dups := log.check(t, published)
	t.Logf("3000 events handled, %d more than once", dups)
}

// TestPartitionedProcessorFenced checks that a consumer whose partition
// another consumer took writes nothing more to it: a handler that finishes
// after the takeover, successfully or with a permanent error, leaves its
// entry pending (for the new owner) and writes no dead letter, where a
// plain XACK or XADD would have acknowledged it or dead-lettered it.
func TestPartitionedProcessorFenced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		result error // the handler's
	}{
		{"ack", nil},
		{"dead letter", dispatcher.Permanent(errors.New("bad event"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t)
			admin := srv.Client(t)
			ctx := context.Background()
			stream, err := partition.New("fenced", 1)
			if err != nil {
				t.Fatal(err)
			}
			started, release := make(chan struct{}), make(chan struct{})
			d := dispatcher.New(dispatcher.Config{})
			d.OnFunc("e", func(context.Context, *dispatcher.Message) error {
				close(started)
				<-release
				return tc.result
			})
			p, err := redisstream.NewPartitionedProcessor(admin, d, redisstream.PartitionedConfig{
				Stream: stream, LeaseTTL: 2 * time.Second,
				Processor: redisstream.ProcessorConfig{Group: "g", Consumer: "a", Block: 50 * time.Millisecond,
					Concurrency: 1, MinIdle: time.Minute, Logger: zaptest.NewLogger(t)},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := admin.XAdd(ctx, &redis.XAddArgs{Stream: stream.Key(0), Values: []string{"type", "e"}}).Err(); err != nil {
				t.Fatal(err)
			}
			<-started
			// Another consumer holds the lease now, as after an expiry while
			// a was paused.
			if err := admin.Set(ctx, stream.Key(0)+":lease:g", "999 thief", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			close(release)
			eventually(t, "a counts its lease lost", func() bool { return p.Coordinator().Status().LeaseLosses == 1 })
			sctx, cancel := context.WithTimeout(ctx, waitTimeout)
			defer cancel()
			if err := p.Shutdown(sctx); err != nil {
				t.Fatal(err)
			}
			if n := pending(t, admin, stream.Key(0), "g"); n != 1 {
				t.Errorf("pending entries after a's handler finished past the takeover = %d, want 1 (not acknowledged)", n)
			}
			if n := admin.XLen(ctx, stream.DeadLetter(0)).Val(); n != 0 {
				t.Errorf("dead letters written after the takeover = %d, want 0", n)
			}
		})
	}
}

// TestPartitionedProcessorConcurrency checks that Concurrency bounds the
// handlers running at once in a consumer as a whole: one consumer owning 4
// partitions with Concurrency 2 never runs more than 2 handlers together
// (with a limit per partition it would run up to 8), and does run 2.
func TestPartitionedProcessorConcurrency(t *testing.T) {
	t.Parallel()
	const events, concurrency = 16, 2
	srv := redistest.Start(t)
	admin := srv.Client(t)
	stream, err := partition.New("limited", 4)
	if err != nil {
		t.Fatal(err)
	}
	publishKeyed(t, admin, stream, events, events) // one event per key, spread over the partitions
	var running, most, handled atomic.Int64
	release := make(chan struct{})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("e", func(context.Context, *dispatcher.Message) error {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		handled.Add(1)
		return nil
	})
	streamtest.StartPartitioned(t, admin, d, redisstream.PartitionedConfig{
		Stream: stream, LeaseTTL: 2 * time.Second,
		Processor: redisstream.ProcessorConfig{Group: "g", Consumer: "a", Block: 50 * time.Millisecond,
			Concurrency: concurrency, MinIdle: time.Minute, Logger: zaptest.NewLogger(t)},
	})
	for i := range int64(events) {
		eventually(t, "as many handlers run as Concurrency allows", func() bool {
			return running.Load() >= min(concurrency, events-i) && handled.Load() == i
		})
		release <- struct{}{}
	}
	eventually(t, "every event is handled", func() bool { return handled.Load() == events })
	if m := most.Load(); m != concurrency {
		t.Errorf("at most %d handlers ran at once, want %d (Concurrency)", m, concurrency)
	}
}

// TestPartitionedProcessorUnread: a partition owned but not read (here its
// Processor stopped behind the Coordinator's back; in production, a
// takeover that Redis keeps failing) is reported by Unread once maxAge has
// passed, while the partitions read are not.
func TestPartitionedProcessorUnread(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stream, err := partition.New("unread", 2)
	if err != nil {
		t.Fatal(err)
	}
	a := startPartitioned(t, srv.Addr, "a", stream, &keyLog{}, nil)
	eventually(t, "a reads both partitions", func() bool { return len(a.p.Owned()) == 2 })
	const maxAge = 500 * time.Millisecond
	eventually(t, "both partitions read within maxAge", func() bool { return len(a.p.Unread(maxAge)) == 0 })
	if err := a.p.Owned()[1].Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "partition 1 reported unread", func() bool { return slices.Equal(a.p.Unread(maxAge), []int{1}) })
}
