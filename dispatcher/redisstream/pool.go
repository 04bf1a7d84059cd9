package redisstream

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// spareConns is how many connections of the client's pool a Processor needs
// beside the blocked reads of its streams: the acker, the reclaim loop and
// one for the handlers' dead-letter writes.
const spareConns = 3

// poolSize returns the connection pool size of rdb (per node for a Cluster
// or a Ring client), or 0 for a client type it does not know.
func poolSize(rdb redis.UniversalClient) int {
	switch c := rdb.(type) {
	case *redis.Client:
		return c.Options().PoolSize
	case *redis.ClusterClient:
		return c.Options().PoolSize
	case *redis.Ring:
		return c.Options().PoolSize
	}
	return 0
}

// warnSmallPool logs a warning when the client's pool cannot hold a blocked
// read of every stream and leave spareConns connections beside them: acks,
// reclaims and dead letters would then wait for a connection (up to the
// client's PoolTimeout) while the readers block.
func (p *Processor) warnSmallPool() {
	size, streams := poolSize(p.rdb), len(p.cfg.Streams)
	if size == 0 || size >= streams+spareConns {
		return
	}
	p.log.Warn("redis client pool too small for this Processor: acks and reclaims may wait for a connection while the readers block",
		zap.Int("pool_size", size), zap.Int("streams", streams),
		zap.Int("suggested_pool_size", streams+spareConns))
}
