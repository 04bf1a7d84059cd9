package partition

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// appendScript appends entries to the stream KEYS[2] if the lease KEYS[1]
// still holds ARGV[1] and returns how many; -1, appending nothing, if it
// does not. ARGV[2..] holds the entries one after the other, each as its
// number of field and value strings followed by them.
var appendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local i, n = 2, 0
while i <= #ARGV do
  local c = tonumber(ARGV[i])
  redis.call('XADD', KEYS[2], '*', unpack(ARGV, i + 1, i + c))
  i, n = i + c + 1, n + 1
end
return n`)

// Append adds entries, each a flat list of field and value strings, to
// stream, in one Lua script that first checks that lease still holds in
// Redis, as Ack does: once another consumer took the partition, nothing is
// added and Append returns an error wrapping ErrLeaseLost. stream must
// carry the partition's hash tag, such as Stream.DeadLetter of the lease's
// partition, so that it lives in the lease's slot. It is how a consumer
// writes a partition's dead letters without writing past the loss of its
// lease.
func (c *Coordinator) Append(ctx context.Context, lease Lease, stream string, entries ...[]string) error {
	if len(entries) == 0 {
		return nil
	}
	args := []any{lease.value}
	for _, e := range entries {
		if len(e) == 0 || len(e)%2 != 0 {
			return fmt.Errorf("%w: an entry of %d strings, want field and value pairs", ErrInvalid, len(e))
		}
		args = append(args, strconv.Itoa(len(e)))
		for _, s := range e {
			args = append(args, s)
		}
	}
	n, err := appendScript.Run(ctx, c.rdb, []string{lease.key, stream}, args...).Int64()
	switch {
	case err != nil:
		return fmt.Errorf("partition: fenced XADD on %s: %w", stream, err)
	case n < 0:
		return fmt.Errorf("%w: partition %d (token %d) of %s", ErrLeaseLost, lease.Partition, lease.Token, lease.Stream)
	}
	return nil
}
