package redisstream

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/internal/deadletter"
)

// fence makes the settler's writes conditional; see ProcessorConfig.fence.
type fence interface {
	// ack queues the acknowledgement of ids of stream on pipe.
	ack(ctx context.Context, pipe redis.Pipeliner, stream string, ids []string)
	// deadLetter writes one dead-letter entry of msg per failure to
	// stream, or none and returns an error.
	deadLetter(ctx context.Context, stream string, msg *dispatcher.Message, failures []dispatcher.RouteFailure, attempts int) error
	// holds reports whether the lease still holds as far as this process
	// knows (partition.Coordinator.Holds): the readers and the reclaimer
	// take nothing more from Redis while it does not.
	holds() bool
}

// leased reports whether c's fence, if any, still holds.
func (c *ProcessorConfig) leased() bool { return c.fence == nil || c.fence.holds() }

// writeDeadLetters writes the dead letters of each entry of dead, one per
// failure, to its stream's dead-letter stream, and returns one error per
// entry (nil when all of its dead letters were written). Without a fence
// they share one pipelined round trip; through the Processor's fence,
// each entry is one fenced write.
func (s *settler) writeDeadLetters(ctx context.Context, dead []deadEntry) []error {
	errs := make([]error, len(dead))
	if s.cfg.fence != nil {
		for i, d := range dead {
			errs[i] = s.cfg.fence.deadLetter(ctx, s.cfg.deadLetterStream(d.msg.Stream), d.msg, d.out.Failures, d.msg.Attempt)
		}
		return errs
	}
	cmds := make([][]*redis.StringCmd, len(dead))
	now := time.Now()
	// Pipelined's error is the first command's error: each entry's own
	// commands say whether its dead letters were written.
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range dead {
			cmds[i] = deadletter.Queue(ctx, p, s.cfg.deadLetterStream(d.msg.Stream), d.msg, d.out.Failures, d.msg.Attempt, now)
		}
		return nil
	})
	for i, d := range dead {
		errs[i] = deadletter.Check(s.cfg.deadLetterStream(d.msg.Stream), d.msg, cmds[i])
	}
	return errs
}

// leaseFence acknowledges and dead-letters the entries of a partition only
// while lease holds in Redis (partition.Coordinator.AckPipelined and
// Append): once another consumer owns the partition, nothing is
// acknowledged nor dead-lettered, and the entries stay pending for it.
type leaseFence struct {
	coord *partition.Coordinator
	lease partition.Lease
}

func (f *leaseFence) holds() bool { return f.coord.Holds(f.lease) }

func (f *leaseFence) ack(ctx context.Context, pipe redis.Pipeliner, _ string, ids []string) {
	f.coord.AckPipelined(ctx, pipe, f.lease, ids...)
}

func (f *leaseFence) deadLetter(ctx context.Context, stream string, msg *dispatcher.Message, failures []dispatcher.RouteFailure, attempts int) error {
	now := time.Now()
	entries := make([][]string, len(failures))
	for i, rf := range failures {
		fields := dispatcher.DeadLetterFields(msg, rf, attempts, now)
		e := make([]string, 0, 2*len(fields))
		for k, v := range fields {
			e = append(e, k, fmt.Sprint(v))
		}
		entries[i] = e
	}
	if err := f.coord.Append(ctx, f.lease, stream, entries...); err != nil {
		return fmt.Errorf("streamfx: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, err)
	}
	return nil
}
