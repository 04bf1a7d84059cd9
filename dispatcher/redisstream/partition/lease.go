package partition

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Lease is one consumer's ownership of one partition for a consumer group:
// the value of the partition's lease key, "<token> <consumer>", which
// expires unless renewed.
type Lease struct {
	// Partition is the partition number.
	Partition int
	// Stream is the partition's Redis stream key.
	Stream string
	// Token is the fencing token: every acquisition of a partition's lease
	// in a group, by any consumer, gets a larger one, also after Redis
	// restarted without persistence (the counter then starts again from
	// the Redis time in milliseconds). A write checked against the lease
	// (see Coordinator.Ack) succeeds only while the lease still holds this
	// token.
	Token int64

	key   string // the lease key
	value string // the lease key's value while this lease holds
}

// Lua scripts on a partition's keys, which share its hash tag (one slot).
var (
	// acquireScript sets the lease key KEYS[1] to "<token> <consumer
	// ARGV[1]>" for ARGV[2] ms if it does not exist (SET NX PX), taking the
	// next fencing token from the counter KEYS[2], and returns the token; 0
	// if the key exists. A missing counter (a new group, or Redis restarted
	// without persistence) starts at the Redis time in ms, so tokens keep
	// growing across such a restart: starting again at 1 would give a lease
	// lost in the restart the value of the next one, and it would fence
	// nothing.
	acquireScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000)))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
return token`)
	// renewScript extends the lease KEYS[1] to ARGV[2] ms if it still holds
	// ARGV[1]; 1 if renewed, 0 if the lease is gone or someone else's.
	renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
	// releaseScript deletes the lease KEYS[1] if it still holds ARGV[1].
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
	// ackScript acknowledges the IDs ARGV[3..] of the stream KEYS[2] in the
	// group ARGV[2] if the lease KEYS[1] still holds ARGV[1] and returns
	// XACK's count; -1, acknowledging nothing, if it does not.
	ackScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, 3))`)
)

// owner parses a lease key's value, "<token> <consumer>", into the
// consumer's name; "" for a missing or malformed value.
func owner(value string) string {
	token, consumer, ok := strings.Cut(value, " ")
	if _, err := strconv.ParseInt(token, 10, 64); !ok || err != nil {
		return ""
	}
	return consumer
}

// fencedAck acknowledges ids of lease's stream in group if lease still
// holds (see Coordinator.Ack).
func fencedAck(ctx context.Context, rdb redis.Scripter, group string, lease Lease, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := ackScript.Run(ctx, rdb, []string{lease.key, lease.Stream}, ackArgs(group, lease, ids)...).Int64()
	switch {
	case err != nil:
		return 0, fmt.Errorf("partition: fenced XACK on %s: %w", lease.Stream, err)
	case n < 0:
		return 0, fmt.Errorf("%w: partition %d (token %d) of %s", ErrLeaseLost, lease.Partition, lease.Token, lease.Stream)
	}
	return n, nil
}

// ackArgs returns the ARGV of ackScript: the lease's value, the group, the
// IDs.
func ackArgs(group string, lease Lease, ids []string) []any {
	args := make([]any, 0, 2+len(ids))
	args = append(args, lease.value, group)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}
