package redisstream

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// claimCount is how many pending entries a takeover claims per XCLAIM.
const claimCount = 1000

// ownedPartition is a partition this consumer holds: its lease, and the
// Processor that reads it once the takeover (claim, then Start) finished.
type ownedPartition struct {
	lease  partition.Lease
	cancel context.CancelFunc // cancels the takeover
	ready  chan struct{}      // closed when the takeover ended
	since  time.Time          // when this consumer was assigned the partition

	mu   sync.Mutex
	proc *Processor // nil until started, and if the takeover was cancelled
}

func (o *ownedPartition) processor() *Processor {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.proc
}

// listener is the partition.Listener of a PartitionedProcessor.
type listener struct{ p *PartitionedProcessor }

// Assigned starts the takeover of lease's partition in the background.
func (l listener) Assigned(lease partition.Lease) {
	p := l.p
	ctx, cancel := context.WithCancel(context.Background())
	o := &ownedPartition{lease: lease, cancel: cancel, ready: make(chan struct{}), since: time.Now()}
	p.mu.Lock()
	p.owned[lease.Partition] = o
	p.mu.Unlock()
	go func() {
		defer close(o.ready)
		p.takeOver(ctx, o)
	}()
}

// Revoked ends the takeover if it still runs, then shuts the partition's
// Processor down gracefully within ctx.
func (l listener) Revoked(ctx context.Context, lease partition.Lease) {
	o := l.p.forget(lease)
	if o == nil {
		return
	}
	o.cancel()
	<-o.ready
	if proc := o.processor(); proc != nil {
		if err := proc.Shutdown(ctx); err != nil {
			l.p.log.Warn("partition's processor did not stop cleanly; its unfinished entries stay pending for the next owner",
				zap.Int("partition", lease.Partition), zap.Error(err))
		}
	}
}

// Lost stops the partition's Processor at once, in the background: its
// handlers' context is cancelled and their results discarded.
func (l listener) Lost(lease partition.Lease) {
	o := l.p.forget(lease)
	if o == nil {
		return
	}
	o.cancel()
	l.p.lost.Go(func() {
		<-o.ready
		if proc := o.processor(); proc != nil {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_ = proc.Shutdown(ctx) // ctx.Err(): aborted on purpose
		}
	})
}

// forget removes lease's partition from the owned ones and returns it, or
// nil if another lease of it is recorded.
func (p *PartitionedProcessor) forget(lease partition.Lease) *ownedPartition {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.owned[lease.Partition]
	if o == nil || o.lease.Token != lease.Token {
		return nil
	}
	delete(p.owned, lease.Partition)
	return o
}

// takeOver claims the pending entries the previous owners of o's partition
// left, then starts its Processor, which runs them first, and watches it
// for a fatal error (see PartitionedProcessor.Err); it retries every
// second while Redis fails, until ctx ends, except on a partition key that
// is not a stream, a fatal error.
func (p *PartitionedProcessor) takeOver(ctx context.Context, o *ownedPartition) {
	i := o.lease.Partition
	for {
		claimed, err := p.claimPending(ctx, o.lease.Stream)
		if err == nil {
			cfg := p.cfg.Processor
			cfg.Streams = []string{o.lease.Stream}
			cfg.DeadLetterStream = p.cfg.Stream.DeadLetter(i)
			cfg.Logger = cfg.Logger.With(zap.Int("partition", i))
			cfg.fence = &leaseFence{coord: p.coord, lease: o.lease}
			cfg.limit = p.limit
			var proc *Processor
			if proc, err = NewProcessor(p.rdb, p.d, cfg); err == nil {
				err = proc.Start(ctx)
			}
			if err == nil {
				o.mu.Lock()
				o.proc = proc
				o.mu.Unlock()
				p.log.Info("partition taken over", zap.Int("partition", i),
					zap.Int64("token", o.lease.Token), zap.Int("claimed", claimed))
				go p.watch(i, proc)
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		if isWrongType(err) {
			p.fail(i, err) // the partition's key is not a stream: retrying cannot help
			return
		}
		p.log.Warn("partition takeover failed; retrying", zap.Int("partition", i), zap.Error(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// claimPending makes this consumer the owner of every entry of stream
// pending for another consumer of the group (XCLAIM ... JUSTID, which
// leaves delivery counts as they are), walking the pending list in ID
// order, and returns how many it claimed. The Processor then reads them
// first (XREADGROUP from ID 0), in ID order. A missing group or stream
// (deleted, or lost in a Redis restart without persistence) has nothing
// pending: the Processor's Start creates it.
func (p *PartitionedProcessor) claimPending(ctx context.Context, stream string) (int, error) {
	group, me := p.cfg.Processor.Group, p.cfg.Processor.Consumer
	start, claimed := "-", 0
	for {
		pend, err := p.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: stream, Group: group, Start: start, End: "+", Count: claimCount,
		}).Result()
		if isNoGroup(err) {
			return claimed, nil // no group or stream, so nothing pending: Start creates them
		}
		if err != nil {
			return claimed, err
		}
		var ids []string
		for _, e := range pend {
			if e.Consumer != me {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			err := p.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: stream, Group: group, Consumer: me, Messages: ids,
			}).Err()
			if err != nil {
				return claimed, err
			}
			claimed += len(ids)
		}
		if len(pend) < claimCount {
			return claimed, nil
		}
		start = "(" + pend[len(pend)-1].ID
	}
}
