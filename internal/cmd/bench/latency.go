package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// seqField carries a message's sequence number in the latency scenario.
const seqField = "seq"

// latencyStats are the publish -> handler start delays of one run.
type latencyStats struct {
	n                    int
	p50, p99, p999, pmax time.Duration
	achieved             float64 // publish rate reached, msgs/s
}

// latency publishes latencyN messages at a fixed rate with the Publisher
// while a Processor consumes them, and records for each message the delay
// from just before Publish to the start of its handler.
func (b *bench) latency(ctx context.Context) error {
	n := b.opts.latencyN
	stream := b.env.key("latency")
	defer b.env.drop(context.WithoutCancel(ctx), stream)
	if err := createGroup(ctx, b.env.rdb, stream, group); err != nil {
		return err
	}
	var st *latencyStats
	err := b.bounded(ctx, func(ctx context.Context) (err error) {
		st, err = b.measureLatency(ctx, stream, n)
		return err
	})
	if err != nil {
		return err
	}
	b.res.lat = st
	b.addRow(fmt.Sprintf("latency publish->handler at %d/s: p50 %s p99 %s p999 %s max %s",
		b.opts.rate, ms(st.p50), ms(st.p99), ms(st.p999), ms(st.pmax)), n,
		trials{{wall: time.Duration(float64(n) / st.achieved * float64(time.Second))}}, "rate reached")
	return nil
}

// measureLatency runs the Processor and the paced publisher. Times are
// nanoseconds since base, kept in atomics because the handler reads what the
// publisher wrote through Redis, which the race detector cannot see.
func (b *bench) measureLatency(ctx context.Context, stream string, n int) (st *latencyStats, err error) {
	base := time.Now()
	sent := make([]atomic.Int64, n)
	started := make([]atomic.Int64, n)
	var handled atomic.Int64
	all := make(chan struct{})
	disp := dispatcher.New(dispatcher.Config{})
	disp.OnFunc(eventType, func(_ context.Context, m *dispatcher.Message) error {
		now := int64(time.Since(base))
		i, err := strconv.Atoi(strings.TrimPrefix(m.Fields[seqField], dispatcher.JSONPrefix))
		if err != nil || i < 0 || i >= n {
			return dispatcher.Permanent(fmt.Errorf("bad %s field %q", seqField, m.Fields[seqField]))
		}
		started[i].CompareAndSwap(0, now)
		if handled.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	p, err := redisstream.NewProcessor(b.env.rdb, disp, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: group, Consumer: "latency",
		BatchSize: b.opts.readBatch, Block: 100 * time.Millisecond, Logger: b.log,
	})
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, shutdown(p)) }()
	elapsed, err := b.pacedPublish(ctx, stream, n, base, sent)
	if err != nil {
		return nil, err
	}
	select {
	case <-all:
	case <-ctx.Done():
		return nil, fmt.Errorf("%d of %d messages handled: %w", handled.Load(), n, ctx.Err())
	}
	if err := waitAcked(ctx, b.env.rdb, stream, group); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		lat[i] = time.Duration(started[i].Load() - sent[i].Load())
	}
	slices.Sort(lat)
	return &latencyStats{
		n: n, p50: quantile(lat, 0.50), p99: quantile(lat, 0.99), p999: quantile(lat, 0.999),
		pmax: lat[n-1], achieved: rate(n, elapsed),
	}, nil
}

// pacedPublish publishes n messages, message i at base-relative time
// i/rate (or at once when behind), recording in sent when each Publish began.
func (b *bench) pacedPublish(ctx context.Context, stream string, n int, base time.Time, sent []atomic.Int64) (time.Duration, error) {
	pub := redisstream.NewPublisher(b.env.rdb, redisstream.PublisherConfig{})
	interval := time.Second / time.Duration(b.opts.rate)
	start := time.Now()
	for i := range n {
		payload := maps.Clone(b.data.payloadAt(i))
		payload[seqField] = i
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		sent[i].Store(int64(time.Since(base)))
		if _, err := pub.Publish(ctx, stream, eventType, payload); err != nil {
			return 0, fmt.Errorf("publish %d: %w", i, err)
		}
	}
	return time.Since(start), nil
}

// quantile returns the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms" }
