package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// countingDispatcher returns a Dispatcher whose no-op route counts into c.
func countingDispatcher(c *counter) *dispatcher.Dispatcher {
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc(eventType, func(context.Context, *dispatcher.Message) error {
		c.add(1)
		return nil
	})
	return d
}

// startSingle starts one Processor on stream of cl, with its own client,
// and returns the function that waits until it handled n messages, stops
// it and checks that each was handled once and acknowledged.
func (b *bench) startSingle(ctx context.Context, cl *cluster, stream string, n int) (func() error, error) {
	rdb := cl.client()
	c := newCounter(n)
	p, err := redisstream.NewProcessor(rdb, countingDispatcher(c), redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: group, Consumer: "one",
		BatchSize: b.opts.readBatch, Block: 100 * time.Millisecond, Logger: b.log,
	})
	if err == nil {
		err = p.Start(ctx)
	}
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return func() error {
		var err error
		select {
		case <-c.all:
		case <-p.Done():
			err = fmt.Errorf("processor stopped after %d of %d messages: %v", c.handled.Load(), n, p.Err())
		case <-ctx.Done():
			err = fmt.Errorf("after %d of %d messages: %w", c.handled.Load(), n, ctx.Err())
		}
		err = errors.Join(err, shutdown(p))
		defer rdb.Close()
		return errors.Join(err, checkHandled(ctx, rdb, c, []string{stream}))
	}, nil
}

// startPartitioned starts scaleConsumers PartitionedProcessors on stream
// of cl, each with its own client, waits until each owns its share of the
// partitions, and returns the function that waits until they handled n
// messages together, stops them and checks that each was handled once and
// acknowledged.
func (b *bench) startPartitioned(ctx context.Context, cl *cluster, stream partition.Stream, n int) (func() error, error) {
	c := newCounter(n)
	var (
		clients []*redis.ClusterClient
		procs   []*redisstream.PartitionedProcessor
	)
	stop := func() error {
		var errs []error
		for _, p := range procs {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			errs = append(errs, p.Shutdown(sctx))
			cancel()
		}
		return errors.Join(errs...)
	}
	closeAll := func() {
		for _, rdb := range clients {
			_ = rdb.Close()
		}
	}
	for i := range scaleConsumers {
		rdb := cl.client()
		clients = append(clients, rdb)
		p, err := redisstream.NewPartitionedProcessor(rdb, countingDispatcher(c), redisstream.PartitionedConfig{
			Stream: stream, LeaseTTL: scaleLeaseTTL,
			Processor: redisstream.ProcessorConfig{Group: group, Consumer: fmt.Sprintf("c%d", i+1),
				BatchSize: b.opts.readBatch, Block: 100 * time.Millisecond, Logger: b.log},
		})
		if err == nil {
			err = p.Start(ctx)
		}
		if err != nil {
			err = errors.Join(err, stop())
			closeAll()
			return nil, err
		}
		procs = append(procs, p)
	}
	if err := waitBalanced(ctx, procs, stream.Partitions()/scaleConsumers); err != nil {
		err = errors.Join(err, stop())
		closeAll()
		return nil, err
	}
	return func() error {
		var err error
		select {
		case <-c.all:
		case <-ctx.Done():
			err = fmt.Errorf("after %d of %d messages: %w", c.handled.Load(), n, ctx.Err())
		}
		err = errors.Join(err, stop())
		defer closeAll()
		return errors.Join(err, checkHandled(ctx, clients[0], c, stream.Keys()))
	}, nil
}

// waitBalanced waits until each of procs owns each partitions.
func waitBalanced(ctx context.Context, procs []*redisstream.PartitionedProcessor, each int) error {
	for {
		balanced := true
		for _, p := range procs {
			balanced = balanced && len(p.Coordinator().Status().Owned) == each
		}
		if balanced {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the consumers did not own %d partitions each: %w", each, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkHandled fails if c counted more messages than it waited for (one
// handled twice) or an entry of streams is still pending.
func checkHandled(ctx context.Context, rdb redis.UniversalClient, c *counter, streams []string) error {
	if h := c.handled.Load(); h != c.n {
		return fmt.Errorf("%d messages handled, want %d (each once)", h, c.n)
	}
	for _, s := range streams {
		p, err := rdb.XPending(context.WithoutCancel(ctx), s, group).Result()
		if err != nil {
			return fmt.Errorf("xpending %s: %w", s, err)
		}
		if p.Count != 0 {
			return fmt.Errorf("%d entries of %s still pending", p.Count, s)
		}
	}
	return nil
}
