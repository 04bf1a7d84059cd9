package redisstream_test

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/redistest"
)

// waitStopped fails t unless p's Done is closed within waitTimeout.
func waitStopped(t *testing.T, p *redisstream.PartitionedProcessor, who string) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(waitTimeout):
		t.Fatalf("%s still running", who)
	}
}

// TestPartitionedProcessorFatal replaces a partition's stream key with a
// string under two consumers that share 4 partitions. The owner's
// Processor of that partition stops on WRONGTYPE, which stops the owner as
// a whole: Done is closed, Err names the partition, and it holds no lease
// any more (released for the others, not left renewed on a partition
// nobody reads). The other consumer then takes the partition over, meets
// the same key in its takeover, and stops the same way.
func TestPartitionedProcessorFatal(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	stream, err := partition.New("fatal", 4)
	if err != nil {
		t.Fatal(err)
	}
	log := &keyLog{}
	a := startPartitioned(t, srv.Addr, "a", stream, log, nil)
	b := startPartitioned(t, srv.Addr, "b", stream, log, nil)
	eventually(t, "a and b own 2 partitions each, each read by a Processor", func() bool {
		return len(a.p.Owned()) == 2 && len(b.p.Owned()) == 2
	})
	if a.p.Err() != nil || b.p.Err() != nil {
		t.Fatalf("Err while running: a %v, b %v", a.p.Err(), b.p.Err())
	}
	bad := -1
	for i := range a.p.Owned() {
		bad = i
	}
	if _, err := admin.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, stream.Key(bad))
		p.Set(ctx, stream.Key(bad), "not a stream", 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	waitStopped(t, a.p, "a, whose partition "+strconv.Itoa(bad)+" is a string")
	wantErr := func(who string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "WRONGTYPE") ||
			!strings.Contains(err.Error(), "partition "+strconv.Itoa(bad)+" of fatal") {
			t.Errorf("%s: Err() = %v, want WRONGTYPE on partition %d", who, err, bad)
		}
	}
	wantErr("a", a.p.Err())
	if owned := a.p.Owned(); len(owned) != 0 {
		t.Errorf("a still reads partitions %v after its fatal stop", owned)
	}
	for i, s := range stream.Keys() {
		if v, err := admin.Get(ctx, s+":lease:g").Result(); err == nil && strings.HasSuffix(v, " a") {
			t.Errorf("partition %d: a's lease %q is still in Redis after its fatal stop", i, v)
		}
	}

	waitStopped(t, b.p, "b, after taking over the string partition")
	wantErr("b", b.p.Err())
	sctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := a.p.Shutdown(sctx); err != nil {
		t.Errorf("Shutdown after the fatal stop: %v", err)
	}
}

// TestPartitionedProcessorDone checks Done and Err around a clean stop:
// Done stays open while running and is closed by Shutdown, Err stays nil;
// Shutdown before Start closes Done too.
func TestPartitionedProcessorDone(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stream, err := partition.New("done", 2)
	if err != nil {
		t.Fatal(err)
	}
	c := startPartitioned(t, srv.Addr, "a", stream, &keyLog{}, nil)
	eventually(t, "a owns both partitions", func() bool { return len(c.p.Owned()) == 2 })
	select {
	case <-c.p.Done():
		t.Fatal("Done closed while running")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, c.p, "a after Shutdown")
	if err := c.p.Err(); err != nil {
		t.Errorf("Err() = %v after a clean Shutdown", err)
	}

	unstarted, err := redisstream.NewPartitionedProcessor(srv.Client(t), dispatcher.New(dispatcher.Config{}),
		redisstream.PartitionedConfig{Stream: stream, Processor: redisstream.ProcessorConfig{Group: "g"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstarted.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, unstarted, "a PartitionedProcessor shut down before Start")
}

// TestPartitionedProcessorSurvivesOutage crashes Redis (no persistence:
// the streams, groups and leases are gone when it restarts) for longer
// than the leases last: the consumer counts its leases lost, keeps
// retrying, takes its partitions again once Redis is back, recreating their
// groups, and handles new events. An outage is not fatal: Done stays open.
func TestPartitionedProcessorSurvivesOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stream, err := partition.New("outage", 2)
	if err != nil {
		t.Fatal(err)
	}
	log := &keyLog{}
	a := startPartitioned(t, srv.Addr, "a", stream, log, nil)
	eventually(t, "a reads both partitions", func() bool { return len(a.p.Owned()) == 2 })
	srv.Kill(syscall.SIGKILL)
	eventually(t, "a counts its leases lost", func() bool { return len(a.p.Owned()) == 0 })
	srv.Restart(t)
	eventually(t, "a reads both partitions again", func() bool { return len(a.p.Owned()) == 2 })
	published := publishKeyed(t, srv.Client(t), stream, 20, 4)
	eventually(t, "the events published after the outage are handled", func() bool { return log.handled.Load() == 20 })
	log.check(t, published)
	select {
	case <-a.p.Done():
		t.Fatalf("a stopped after an outage: %v", a.p.Err())
	default:
	}
}

// TestPartitionedProcessorAbortedShutdown calls Shutdown with a context
// that has already ended. The Coordinator's loop may then see the context
// end before it sees the request to leave; either way every partition's
// Processor must be stopped when Shutdown returns (aborted: nothing
// released, the leases expire), not left reading on.
func TestPartitionedProcessorAbortedShutdown(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	stream, err := partition.New("aborted", 4)
	if err != nil {
		t.Fatal(err)
	}
	c := startPartitioned(t, srv.Addr, "a", stream, &keyLog{}, nil)
	eventually(t, "a owns the 4 partitions", func() bool { return len(c.p.Owned()) == 4 })
	procs := c.p.Owned()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = c.p.Shutdown(ctx) // ctx.Err(): aborted on purpose
	waitStopped(t, c.p, "a after an aborted Shutdown")
	if owned := c.p.Owned(); len(owned) != 0 {
		t.Errorf("partitions %v still read after Shutdown returned", owned)
	}
	for i, proc := range procs {
		select {
		case <-proc.Done():
		default:
			t.Errorf("partition %d: its Processor still runs after Shutdown returned", i)
		}
	}
}
