// Package deadletter writes dead-letter entries, in the one format the
// Processor of dispatcher/redisstream and the asynq retry worker share.
package deadletter

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// Write appends one dead-letter entry per failure to stream, in one
// pipelined round trip. It returns an error if any entry could not be written;
// the caller must then not acknowledge msg.
func Write(ctx context.Context, rdb redis.Cmdable, stream string, msg *dispatcher.Message, failures []dispatcher.RouteFailure, attempts int) error {
	if len(failures) == 0 {
		return nil
	}
	var cmds []*redis.StringCmd
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmds = Queue(ctx, p, stream, msg, failures, attempts, time.Now())
		return nil
	})
	if err != nil {
		return fmt.Errorf("streamfx: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, err)
	}
	return Check(stream, msg, cmds)
}

// Queue queues on p one XADD to stream per failure of msg, dated now, and
// returns the commands, for Check once p ran: several messages' dead
// letters can share one round trip.
func Queue(ctx context.Context, p redis.Pipeliner, stream string, msg *dispatcher.Message, failures []dispatcher.RouteFailure, attempts int, now time.Time) []*redis.StringCmd {
	cmds := make([]*redis.StringCmd, len(failures))
	for i, f := range failures {
		cmds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: dispatcher.DeadLetterFields(msg, f, attempts, now)})
	}
	return cmds
}

// Check returns the first error of the XADDs Queue queued for msg, if any:
// the caller must then not acknowledge msg.
func Check(stream string, msg *dispatcher.Message, cmds []*redis.StringCmd) error {
	for _, c := range cmds {
		if c.Err() != nil {
			return fmt.Errorf("streamfx: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, c.Err())
		}
	}
	return nil
}
