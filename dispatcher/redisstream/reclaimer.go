package redisstream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// reclaimer is the stage beside the readers that keeps the PEL moving:
// each ReclaimInterval, for every stream, it refreshes the lease of the
// entries this process has held for long (refresh, on a goroutine of its
// own), and takes over the entries idle for MinIdle, of any consumer of the
// group (reclaim), and sends them to the scheduler through the feed, with
// their delivery counts.
// A consumer's own pending entries at start are drained by its readers.
type reclaimer struct {
	rdb     redis.UniversalClient
	cfg     ProcessorConfig
	log     *zap.Logger
	feed    *feed
	flights *inflight
	health  *health
}

// run refreshes and reclaims every ReclaimInterval until ctx ends. The
// refresh has its own goroutine: a reclaim that waits for the scheduler to
// take what it claimed (backpressure) must not stop the leases of the
// entries held from being refreshed, or another consumer would reclaim
// them while they run here.
func (r *reclaimer) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { r.every(ctx, r.refresh) })
	r.every(ctx, r.reclaim)
	return nil
}

// every calls fn for each stream every ReclaimInterval until ctx ends.
func (r *reclaimer) every(ctx context.Context, fn func(ctx context.Context, stream string)) {
	t := time.NewTicker(r.cfg.ReclaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !r.cfg.leased() { // a lease lapsed: claim and refresh nothing, the entries are the next owner's
			continue
		}
		for _, s := range r.cfg.Streams {
			fn(ctx, s)
		}
	}
}

// refresh resets, with one XCLAIM ... JUSTID, the idle time of the entries of
// stream this process has held for more than MinIdle/2 (queued, running, or
// awaiting their ack), so that no XAUTOCLAIM, of this process or another,
// finds them idle: XAUTOCLAIM would add a delivery to an entry still being
// handled, and another process would run it concurrently. JUSTID leaves the
// delivery count alone. An ID no longer pending is ignored by Redis; one
// another consumer claimed meanwhile is taken back, which is right since
// this process is running it; one deleted from the stream leaves the PEL
// (Redis 7), so its ack is a no-op. Entries stay fresh as long as
// ReclaimInterval is below MinIdle/2. A failure is left to the reclaim that
// follows.
func (r *reclaimer) refresh(ctx context.Context, stream string) {
	now := time.Now()
	ids := r.flights.stale(stream, now.Add(-r.cfg.MinIdle/2))
	if len(ids) == 0 {
		return
	}
	err := r.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: stream, Group: r.cfg.Group, Consumer: r.cfg.Consumer,
		MinIdle: 0, Messages: ids,
	}).Err()
	if err != nil {
		// Connection trouble is reported by the XAUTOCLAIM that follows, and
		// a missing group by the reader, which recreates it; a refusal by
		// Redis itself (for example an ACL without +xclaim) would otherwise
		// go unnoticed.
		var refused redis.Error
		if errors.As(err, &refused) && !isNoGroup(err) {
			r.log.Warn("cannot refresh in-flight entries; handlers slower than MinIdle may be redelivered",
				zap.String("stream", stream), zap.String("consumer_group", r.cfg.Group), zap.Error(err))
		}
		return
	}
	r.flights.touch(stream, time.Now(), ids) // after Redis reset their idle time (see handBack)
}

// reclaim takes over the entries of stream idle for at least MinIdle, from
// any consumer of the group (this one included: that is how a failed message
// is redelivered), and runs them with their delivery counts. Entries deleted
// from the stream while pending are acked so that they leave the PEL.
func (r *reclaimer) reclaim(ctx context.Context, stream string) {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, deleted, err := r.rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{
			Stream: stream, Group: r.cfg.Group, Consumer: r.cfg.Consumer,
			MinIdle: r.cfg.MinIdle, Start: start, Count: int64(r.cfg.BatchSize),
		}).Result()
		if err != nil {
			r.failed(ctx, stream, err)
			return
		}
		r.health.ok("reclaim " + stream)
		b := toBatch(msgs)
		r.feed.ackDeleted(ctx, stream, append(deleted, b.deleted...))
		if len(b.entries) > 0 {
			r.log.Info("reclaimed idle entries", zap.String("stream", stream), zap.Int("entries", len(b.entries)))
			if obs := r.cfg.Observer; obs != nil {
				obs.Reclaimed(r.cfg.Group, stream, len(b.entries))
			}
			if err := r.feed.takeOver(ctx, stream, b.entries); err != nil {
				r.failed(ctx, stream, err)
				return
			}
		}
		if next == "0-0" || next == "" {
			return
		}
		start = next
	}
}

// failed logs a failed reclaim; the next tick tries again. A missing
// group is left to the reader, which recreates it.
func (r *reclaimer) failed(ctx context.Context, stream string, err error) {
	if ctx.Err() != nil || isNoGroup(err) {
		return
	}
	r.health.fail("reclaim "+stream, "xautoclaim "+stream, err)
}
