package redisstream

import (
	"context"

	"github.com/redis/go-redis/v9"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
	"go.uber.org/zap"
)

// feed is the path from the readers and the reclaimer to the scheduler:
// it claims what they read in the in-flight set (skipping the entries this
// process holds already), asks Redis the delivery counts of entries
// delivered before, and sends each batch to the scheduler, waiting while it
// holds as much as it takes (backpressure). The entries deleted from the
// stream while pending go to the settler, to be acknowledged. Readers and
// the reclaimer share one feed; its methods are safe for concurrent use.
type feed struct {
	rdb      redis.UniversalClient
	cfg      ProcessorConfig
	flights  *inflight
	out      chan<- job             // the scheduler's intake
	deleted  chan<- deletedEntries  // the settler's
	giveBack func(job)              // lets go of entries not started (see pipeline.giveBack)
	d        *dispatcher.Dispatcher // names the idempotent routes of a type
	markers  *marker.Store          // completion markers of idempotent routes
	log      *zap.Logger
}

// deletedEntries are the IDs of pending entries of stream that were deleted
// from the stream: acknowledging them takes them out of the PEL.
type deletedEntries struct {
	stream string
	ids    []string
}

// fresh sends entries read for the first time (">") to the scheduler.
func (f *feed) fresh(ctx context.Context, stream string, entries []entry) {
	f.send(ctx, stream, f.flights.claim(stream, entries))
}

// takeOver sends entries delivered before (reclaimed, or this consumer's
// own pending entries) that this process does not hold yet, with their
// delivery counts. It claims them before it asks XPENDING: an entry whose
// handler finished and was acked since XAUTOCLAIM or XREADGROUP returned it
// is then either still held (and skipped) or no longer pending (and
// dropped), never run twice.
func (f *feed) takeOver(ctx context.Context, stream string, entries []entry) error {
	entries = f.flights.claim(stream, entries)
	if len(entries) == 0 {
		return nil
	}
	live, gone, err := f.deliveryCounts(ctx, stream, entries)
	if err != nil {
		f.flights.drop(stream, entries, nil)
		return err
	}
	f.flights.drop(stream, gone, nil)
	f.lookupCompleted(ctx, stream, live)
	f.send(ctx, stream, live)
	return nil
}

// send hands claimed entries, a batch of stream, to the scheduler, waiting
// while it holds as much as it takes. Claimed entries are left alone by the
// reclaimer while they wait. When ctx ends (reading stops), entries not yet
// taken are given back: they stay pending (see handBack).
func (f *feed) send(ctx context.Context, stream string, entries []entry) {
	if len(entries) == 0 {
		return
	}
	j := job{stream: stream, entries: entries}
	if ctx.Err() != nil { // select below picks at random when both are ready
		f.giveBack(j)
		return
	}
	select {
	case f.out <- j:
	case <-ctx.Done():
		f.giveBack(j)
	}
}

// ackDeleted sends the IDs of pending entries deleted from stream to the
// settler. When ctx ends first they are dropped: they stay in the PEL
// until a later read or reclaim returns them again.
func (f *feed) ackDeleted(ctx context.Context, stream string, ids []string) {
	if len(ids) == 0 {
		return
	}
	select {
	case f.deleted <- deletedEntries{stream: stream, ids: ids}:
	case <-ctx.Done():
	}
}

// deliveryCounts sets the attempts of entries (pending for this consumer, in
// ID order) from XPENDING's delivery counts, one call for the whole batch
// unless other pending entries of this consumer lie in between. It returns
// the entries still pending for this consumer and those that are not any
// more: acked, or claimed by another consumer, since they were read.
func (f *feed) deliveryCounts(ctx context.Context, stream string, entries []entry) (live, gone []entry, err error) {
	want := make(map[string]int, len(entries))
	for i, e := range entries {
		want[e.id] = i
	}
	start, end := entries[0].id, entries[len(entries)-1].id
	count := int64(2*len(entries) + f.cfg.Concurrency)
	for len(want) > 0 {
		pend, err := f.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: stream, Group: f.cfg.Group, Start: start, End: end,
			Count: count, Consumer: f.cfg.Consumer,
		}).Result()
		if err != nil {
			return nil, nil, err
		}
		for _, pe := range pend {
			if i, ok := want[pe.ID]; ok {
				entries[i].attempts = int(pe.RetryCount)
				delete(want, pe.ID)
			}
		}
		if int64(len(pend)) < count {
			break // the rest is not pending for this consumer any more
		}
		start = "(" + pend[len(pend)-1].ID
	}
	if len(want) == 0 {
		return entries, nil, nil
	}
	for _, e := range entries {
		if _, missing := want[e.id]; missing {
			gone = append(gone, e)
		} else {
			live = append(live, e)
		}
	}
	return live, gone, nil
}
