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
}

// writeDeadLetter writes the dead letters of msg to the dead-letter stream
// dl: through the Processor's fence if it has one, else with
// deadletter.Write.
func (s *settler) writeDeadLetter(ctx context.Context, dl string, msg *dispatcher.Message, failures []dispatcher.RouteFailure) error {
	if s.cfg.fence != nil {
		return s.cfg.fence.deadLetter(ctx, dl, msg, failures, msg.Attempt)
	}
	return deadletter.Write(ctx, s.rdb, dl, msg, failures, msg.Attempt)
}

// leaseFence acknowledges and dead-letters the entries of a partition only
// while lease holds in Redis (partition.Coordinator.AckPipelined and
// Append): once another consumer owns the partition, nothing is
// acknowledged nor dead-lettered, and the entries stay pending for it.
type leaseFence struct {
	coord *partition.Coordinator
	lease partition.Lease
}

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
