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
	now := time.Now()
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range failures {
			p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: dispatcher.DeadLetterFields(msg, f, attempts, now)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("streamfx: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, err)
	}
	for _, c := range cmds {
		if c.Err() != nil {
			return fmt.Errorf("streamfx: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, c.Err())
		}
	}
	return nil
}
