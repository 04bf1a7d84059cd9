package redisstream

import (
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// reclaimLoop runs reclaim for every stream each ReclaimInterval.
func (r *run) reclaimLoop() {
	defer r.loops.Done()
	t := time.NewTicker(r.cfg.ReclaimInterval)
	defer t.Stop()
	for {
		select {
		case <-r.readCtx.Done():
			return
		case <-t.C:
		}
		for _, s := range r.cfg.Streams {
			r.refresh(s)
			r.reclaim(s)
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
func (r *run) refresh(stream string) {
	now := time.Now()
	ids := r.flights.stale(stream, now.Add(-r.cfg.MinIdle/2))
	if len(ids) == 0 {
		return
	}
	err := r.p.rdb.XClaimJustID(r.readCtx, &redis.XClaimArgs{
		Stream: stream, Group: r.cfg.Group, Consumer: r.cfg.Consumer,
		MinIdle: 0, Messages: ids,
	}).Err()
	if err != nil {
		// Connection trouble is reported by the XAUTOCLAIM that follows; a
		// refusal by Redis itself (for example an ACL without +xclaim) would
		// otherwise go unnoticed.
		var refused redis.Error
		if errors.As(err, &refused) {
			r.p.log.Warn("cannot refresh in-flight entries; handlers slower than MinIdle may be redelivered",
				zap.String("stream", stream), zap.String("group", r.cfg.Group), zap.Error(err))
		}
		return
	}
	r.flights.touch(stream, time.Now(), ids) // after Redis reset their idle time (see handBack)
}

// reclaim takes over the entries of stream idle for at least MinIdle, from
// any consumer of the group (this one included: that is how a failed message
// is redelivered), and runs them with their delivery counts. Entries deleted
// from the stream while pending are acked so that they leave the PEL.
func (r *run) reclaim(stream string) {
	start := "0-0"
	for r.readCtx.Err() == nil {
		msgs, next, deleted, err := r.p.rdb.XAutoClaimWithDeleted(r.readCtx, &redis.XAutoClaimArgs{
			Stream: stream, Group: r.cfg.Group, Consumer: r.cfg.Consumer,
			MinIdle: r.cfg.MinIdle, Start: start, Count: int64(r.cfg.BatchSize),
		}).Result()
		if err != nil {
			r.reclaimFailed(stream, err)
			return
		}
		r.health.ok("reclaim " + stream)
		r.acks.add(stream, deleted...)
		b := toBatch(msgs)
		r.acks.add(stream, b.deleted...)
		if len(b.entries) > 0 {
			r.p.log.Info("reclaimed idle entries", zap.String("stream", stream), zap.Int("entries", len(b.entries)))
			if obs := r.cfg.Observer; obs != nil {
				obs.Reclaimed(r.cfg.Group, stream, len(b.entries))
			}
			if err := r.takeOver(stream, b.entries); err != nil {
				r.reclaimFailed(stream, err)
				return
			}
		}
		if next == "0-0" || next == "" {
			return
		}
		start = next
	}
}

// takeOver queues entries delivered before (reclaimed, or this consumer's
// own pending entries) that this process does not hold yet, with their
// delivery counts. It claims them before it asks XPENDING: an entry whose
// handler finished and was acked since XAUTOCLAIM or XREADGROUP returned it
// is then either still held (and skipped) or no longer pending (and
// dropped), never run twice.
func (r *run) takeOver(stream string, entries []entry) error {
	entries = r.flights.claim(stream, entries)
	if len(entries) == 0 {
		return nil
	}
	live, gone, err := r.deliveryCounts(r.readCtx, stream, entries)
	if err != nil {
		r.flights.drop(stream, entries, nil)
		return err
	}
	r.flights.drop(stream, gone, nil)
	r.queue(stream, live)
	return nil
}

// reclaimFailed logs a failed reclaim; the next tick tries again. A missing
// group is left to the reader, which recreates it.
func (r *run) reclaimFailed(stream string, err error) {
	if r.readCtx.Err() != nil || isNoGroup(err) {
		return
	}
	r.health.fail("reclaim "+stream, "xautoclaim "+stream, err)
}
