package redisstream

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// retireTimeout bounds the removal of a generated consumer at stop.
const retireTimeout = 2 * time.Second

// retireConsumer removes this process's consumer from the group of every
// stream where it holds no pending entry. It is called at stop when the
// consumer name was generated: such a name is never used again, and Redis
// keeps a consumer until it is deleted, so every restart would leave one
// behind. A consumer that still holds entries is kept, so that they stay
// pending and are reclaimed: XGROUP DELCONSUMER would drop them from the
// pending list.
func (r *run) retireConsumer() {
	ctx, cancel := context.WithTimeout(context.Background(), retireTimeout)
	defer cancel()
	for _, stream := range r.cfg.Streams {
		log := r.p.log.With(zap.String("stream", stream))
		held, err := r.p.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: stream, Group: r.cfg.Group, Start: "-", End: "+", Count: 1, Consumer: r.cfg.Consumer,
		}).Result()
		if err != nil {
			log.Warn("consumer left in the group: its pending entries could not be counted", zap.Error(err))
			continue
		}
		if len(held) > 0 {
			log.Info("consumer left in the group: it holds pending entries, which will be reclaimed")
			continue
		}
		dropped, err := r.p.rdb.XGroupDelConsumer(ctx, stream, r.cfg.Group, r.cfg.Consumer).Result()
		switch {
		case err != nil:
			log.Warn("consumer left in the group: removing it failed", zap.Error(err))
		case dropped > 0: // only another process using this generated name could cause it
			log.Error("consumer removed from the group with entries it held", zap.Int64("entries", dropped))
		default:
			log.Debug("consumer removed from the group")
		}
	}
}
