package partition

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// heartbeatScript keeps the membership of a group in the sorted set
// KEYS[1], consumer names scored by the Redis time (ms) their heartbeat
// expires: it drops the expired ones, adds or refreshes ARGV[1] (unless
// empty) for ARGV[2] ms, keeps the set itself alive that long, and returns
// the live members. Expiry follows Redis's clock, like the leases', so the
// consumers' clocks need not agree.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[1] ~= '' then
  local ttl = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return redis.call('ZRANGE', KEYS[1], 0, -1)`)

// heartbeat records consumer as live for ttl (none if consumer is empty)
// and returns the live members of the group, sorted.
func heartbeat(ctx context.Context, rdb redis.Scripter, key, consumer string, ttl time.Duration) ([]string, error) {
	members, err := heartbeatScript.Run(ctx, rdb, []string{key}, consumer, ttl.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("partition: heartbeat on %s: %w", key, err)
	}
	slices.Sort(members)
	return members, nil
}
