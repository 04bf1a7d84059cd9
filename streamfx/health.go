package streamfx

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/health"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// recencySlack is added to three Block durations to get the longest a
// healthy processor may go without a successful read.
const recencySlack = time.Second

// Health is the readiness endpoint of the module's processors: an
// http.Handler (mount it at /healthz, for example) that answers 200 when
// every check passes and 503 otherwise, with a JSON report (see package
// dispatcher/health). For each consumed stream it checks that Redis answers
// and the consumer group exists ("group:<stream>", health.RedisGroup), and
// that the stream's processor read successfully within 3 x Block + 1s
// ("read:<stream>", health.Recency): so it fails before the processors have
// started, once they have stopped, and while Redis is unreachable. For each
// partitioned stream it checks that its partitions have owners and that its
// consumer reaches Redis ("partitions:<name>", health.Partitions with twice
// the lease TTL), and that each partition it owns was read within 3 x
// Block + 1s ("reads:<name>", see redisstream.PartitionedProcessor.Unread).
// An app
// that consumes nothing gets one check, "redis", that Redis answers PING.
//
// Module provides it; it is built only if the app asks for it, and it
// registers nothing.
type Health struct {
	checks  map[string]health.Check
	handler http.Handler
}

// newHealth builds the checks of every processor. The Redis client is
// shared, not closed.
func newHealth(rdb redis.UniversalClient, ps *Processors) *Health {
	checks := map[string]health.Check{}
	for _, proc := range ps.All() {
		cfg := proc.Config()
		for _, s := range cfg.Streams {
			checks["group:"+s] = health.RedisGroup(rdb, s, cfg.Group)
			checks["read:"+s] = health.Recency(proc.LastRead, 3*cfg.Block+recencySlack)
		}
	}
	for _, proc := range ps.Partitioned() {
		cfg := proc.Config()
		checks["partitions:"+cfg.Stream.Name()] = health.Partitions(proc.Coordinator(), 2*cfg.LeaseTTL)
		checks["reads:"+cfg.Stream.Name()] = partitionReads(proc, 3*cfg.Processor.Block+recencySlack)
	}
	if len(checks) == 0 {
		checks["redis"] = func(ctx context.Context) error {
			if err := rdb.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("streamfx: redis ping: %w", err)
			}
			return nil
		}
	}
	return &Health{checks: checks, handler: health.Handler(checks)}
}

// partitionReads checks that every partition p has owned for longer than
// maxAge was read within maxAge (see PartitionedProcessor.Unread).
func partitionReads(p *redisstream.PartitionedProcessor, maxAge time.Duration) health.Check {
	return func(context.Context) error {
		if unread := p.Unread(maxAge); len(unread) > 0 {
			return fmt.Errorf("%w: partitions %v of %s are owned here but were not read for more than %s",
				health.ErrStale, unread, p.Config().Stream.Name(), maxAge)
		}
		return nil
	}
}

// ServeHTTP runs every check and writes the report.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// Checks returns a copy of the checks by name, to combine with the app's own
// in a health.Handler.
func (h *Health) Checks() map[string]health.Check { return maps.Clone(h.checks) }
