// Package marker records in Redis which idempotent routes completed for a
// stream entry in a consumer group (see dispatcher.Idempotent), for the
// Processor of dispatcher/redisstream and the retry worker of asynqretry.
//
// A marker is the field "<entry ID>/<route>" of a hash per consumer group,
// stream and TTL window: "<prefix>:done:<group>:<ttl ms>:<n>", n counting
// windows since the Unix epoch and prefix putting the hash in the stream's
// cluster slot (see internal/slotkey). Lookups read the current window's
// hash and the previous one's; writes go to the current one, which expires
// two windows after its last write. A marker thus lives at least one TTL
// and at most two, by the clock of the process that reads or writes it.
package marker

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/internal/slotkey"
)

// DefaultTTL is the marker TTL of the Processor and of the asynq retry
// worker when their configuration leaves it zero; the two must agree, the
// TTL being part of the hashes' names.
const DefaultTTL = 15 * time.Minute

// Store reads and writes the markers of one consumer group. It is safe for
// concurrent use.
type Store struct {
	rdb      redis.UniversalClient
	group    string
	ttlMS    int64
	expire   time.Duration // two windows: the TTL of a hash
	prefixes slotkey.Cache
}

// New returns a Store of group's markers, kept for at least ttl (> 0).
func New(rdb redis.UniversalClient, group string, ttl time.Duration) *Store {
	ms := max(ttl.Milliseconds(), 1)
	return &Store{rdb: rdb, group: group, ttlMS: ms, expire: 2 * time.Duration(ms) * time.Millisecond}
}

// Query asks which of Routes completed for the entry ID of Stream.
type Query struct {
	Stream, ID string
	Routes     []string
}

// Completed returns, for each query, the routes that have a marker, in one
// pipelined round trip.
func (s *Store) Completed(ctx context.Context, qs []Query) ([][]string, error) {
	window := s.window()
	cmds := make([][2]*redis.SliceCmd, len(qs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range qs {
			fields := make([]string, len(q.Routes))
			for j, route := range q.Routes {
				fields[j] = Field(q.ID, route)
			}
			cmds[i] = [2]*redis.SliceCmd{p.HMGet(ctx, s.key(q.Stream, window), fields...),
				p.HMGet(ctx, s.key(q.Stream, window-1), fields...)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	done := make([][]string, len(qs))
	for i, q := range qs {
		cur, prev := cmds[i][0].Val(), cmds[i][1].Val()
		for j, route := range q.Routes {
			if cur[j] != nil || prev[j] != nil {
				done[i] = append(done[i], route)
			}
		}
	}
	return done, nil
}

// Record appends to p the writes of stream's markers, fields made with
// Field: one HSET and one PEXPIRE.
func (s *Store) Record(ctx context.Context, p redis.Pipeliner, stream string, fields []string) {
	if len(fields) == 0 {
		return
	}
	key := s.key(stream, s.window())
	args := make([]any, 0, 2+2*len(fields))
	args = append(args, "hset", key)
	for i := range fields {
		args = append(args, &fields[i], "1") // *string: no allocation per field (see redisstream's appendXAdd)
	}
	_ = p.Process(ctx, redis.NewIntCmd(ctx, args...)) // the error is the pipeline's
	p.PExpire(ctx, key, s.expire)
}

// Field returns the marker field of route for the entry id.
func Field(id, route string) string { return id + "/" + route }

// window returns the number of the current TTL window.
func (s *Store) window() int64 { return time.Now().UnixMilli() / s.ttlMS }

// key returns the name of stream's hash of window n.
func (s *Store) key(stream string, n int64) string {
	return s.prefixes.Prefix(stream) + ":done:" + s.group + ":" + strconv.FormatInt(s.ttlMS, 10) + ":" + strconv.FormatInt(n, 10)
}
