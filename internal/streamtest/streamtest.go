// Package streamtest holds test helpers shared by the Redis-backed test
// suites: starting and stopping a redisstream.Processor, publishing test
// events, reading a group's pending count, waiting for a condition and
// recording handler runs (Recorder).
package streamtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// StartProcessor creates and starts a processor (see Start) and shuts it
// down with Stop when t ends.
func StartProcessor(t testing.TB, rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg redisstream.ProcessorConfig) *redisstream.Processor {
	t.Helper()
	p := Start(t, rdb, d, cfg)
	t.Cleanup(func() { Stop(t, p) })
	return p
}

// Start creates and starts a processor (Start gets 10s); stopping it is
// left to the caller.
func Start(t testing.TB, rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg redisstream.ProcessorConfig) *redisstream.Processor {
	t.Helper()
	p, err := redisstream.NewProcessor(rdb, d, cfg)
	return started(t, p, err)
}

// started fails t if the constructor returned err, else starts p, giving
// Start 10s, and returns it.
func started[P interface{ Start(context.Context) error }](t testing.TB, p P, err error) P {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// StartPartitioned creates and starts a partitioned processor (Start gets
// 10s) and shuts it down when t ends, within 10s. The shutdown's error is
// not checked: tests kill partitioned consumers (their client closed) on
// purpose.
func StartPartitioned(t testing.TB, rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg redisstream.PartitionedConfig) *redisstream.PartitionedProcessor {
	t.Helper()
	p, err := redisstream.NewPartitionedProcessor(rdb, d, cfg)
	p = started(t, p, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

// Stop shuts p down within 10s and fails t unless it stops cleanly.
// Shutdown is idempotent, so a test may call Stop before its cleanup does.
func Stop(t testing.TB, p *redisstream.Processor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// Publish publishes n events of type typ to stream, payload {"n": i}, in
// pipelined batches of 1000, and returns their IDs. It returns the IDs
// written so far with the first error, so a goroutine other than the
// test's may call it.
func Publish(pub *redisstream.Publisher, stream, typ string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 1000 {
		events := make([]redisstream.Event, 0, min(n-start, 1000))
		for i := start; i < min(n, start+1000); i++ {
			events = append(events, redisstream.Event{Type: typ, Payload: map[string]any{"n": i}})
		}
		got, err := pub.PublishBatch(context.Background(), stream, events)
		if err != nil {
			return ids, fmt.Errorf("publish %d %s events to %s: %w", n, typ, stream, err)
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// MustPublish is Publish that fails t on an error.
func MustPublish(t testing.TB, pub *redisstream.Publisher, stream, typ string, n int) []string {
	t.Helper()
	ids, err := Publish(pub, stream, typ, n)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// Pending returns the number of entries in the pending list of group on
// stream.
func Pending(t testing.TB, rdb redis.UniversalClient, stream, group string) int64 {
	t.Helper()
	res, err := rdb.XPending(context.Background(), stream, group).Result()
	if err != nil {
		t.Fatalf("XPENDING %s %s: %v", stream, group, err)
	}
	return res.Count
}

// Eventually polls cond every 10ms until it holds, and fails t if it does
// not within timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
