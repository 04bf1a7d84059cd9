package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// dedup measures PublishBatch with a DedupID on every event against
// PublishBatch without, on fresh streams, alternating -rounds times and
// keeping the best run of each.
func (b *bench) dedup(ctx context.Context) error {
	n := b.opts.n
	var plain, keyed trials
	for range b.opts.rounds {
		t, err := b.onFreshStream(ctx, "dedup-plain", n, b.streamfxBatch)
		if err != nil {
			return fmt.Errorf("PublishBatch: %w", err)
		}
		plain = append(plain, t)
		t, err = b.onFreshStream(ctx, "dedup-keyed", n, b.keyedBatch)
		b.dropMatching(context.WithoutCancel(ctx), redisstream.DedupKeyPattern(b.env.prefix+"dedup-keyed"))
		if err != nil {
			return fmt.Errorf("PublishBatch with DedupIDs: %w", err)
		}
		keyed = append(keyed, t)
	}
	b.res.dedupPlain, b.res.dedupKeyed = rate(n, plain.best()), rate(n, keyed.best())
	b.addRow(fmt.Sprintf("publish streamfx PublishBatch (%d per call)", b.opts.pubBatch), n, plain, "baseline")
	b.addRow(fmt.Sprintf("publish streamfx PublishBatch, DedupID each (%d per call)", b.opts.pubBatch), n, keyed,
		fmt.Sprintf("x%.2f without%s", b.res.dedupKeyed/b.res.dedupPlain, pairedRatios(plain, keyed)))
	return nil
}

// keyedBatch is streamfxBatch with a DedupID on every event. The caller
// deletes the dedup keys, outside the timed run (as onFreshStream deletes
// the stream).
func (b *bench) keyedBatch(ctx context.Context, stream string, n int) error {
	pub := redisstream.NewPublisher(b.env.rdb, redisstream.PublisherConfig{})
	events := make([]redisstream.Event, 0, b.opts.pubBatch)
	for start := 0; start < n; start += b.opts.pubBatch {
		events = events[:0]
		for i := start; i < min(n, start+b.opts.pubBatch); i++ {
			id := "event-" + strconv.Itoa(i)
			events = append(events, redisstream.Event{Type: eventType, Payload: b.data.payloadAt(i), DedupID: id})
		}
		if _, err := pub.PublishBatch(ctx, stream, events); err != nil {
			return err
		}
	}
	return nil
}

// dropMatching deletes the keys that match pattern.
func (b *bench) dropMatching(ctx context.Context, pattern string) {
	keys, _ := b.env.rdb.Keys(ctx, pattern).Result()
	if len(keys) > 0 {
		b.env.drop(ctx, keys...)
	}
}
