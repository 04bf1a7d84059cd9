package inspect

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// StreamStatus is the state of one stream.
type StreamStatus struct {
	// Stream is the stream's name.
	Stream string `json:"stream"`
	// Length is the number of entries in the stream (XLEN).
	Length int64 `json:"length"`
	// Groups are the stream's consumer groups, in the order Redis lists them.
	Groups []GroupStatus `json:"consumer_groups"`
	// DeadStream is the stream's dead-letter stream.
	DeadStream string `json:"dead_stream"`
	// DeadLength is the number of entries in DeadStream (0 if it does not
	// exist).
	DeadLength int64 `json:"dead_length"`
}

// GroupStatus is the state of one consumer group of a stream.
type GroupStatus struct {
	// Name is the group's name.
	Name string `json:"name"`
	// Lag is the number of entries of the stream not yet delivered to the
	// group. LagSource says where it comes from.
	Lag int64 `json:"lag"`
	// LagSource is LagRedis when Redis reported the lag (XINFO GROUPS, Redis
	// 7.0 or later), LagCounted when Redis could not (for example after XDEL
	// of entries the group had not read) and Status counted the entries after
	// the group's last delivered ID itself, or LagAtLeast when that count
	// stopped at Config.LagCountLimit: the lag is then Lag or more.
	LagSource string `json:"lag_source"`
	// Pending is the number of entries delivered and not yet acknowledged.
	Pending int64 `json:"pending"`
	// OldestPendingID is the smallest pending entry ID, "" if none.
	OldestPendingID string `json:"oldest_pending_id,omitempty"`
	// OldestPendingAge is the age of that entry, from the time in its ID.
	OldestPendingAge time.Duration `json:"oldest_pending_age_ns,omitempty"`
	// LastDeliveredID is the ID of the last entry delivered to the group.
	LastDeliveredID string `json:"last_delivered_id"`
	// Consumers are the group's consumers, in the order Redis lists them.
	Consumers []ConsumerStatus `json:"consumers"`
}

// Where GroupStatus.Lag comes from.
const (
	LagRedis   = "redis"
	LagCounted = "counted"
	LagAtLeast = "at-least"
)

// ConsumerStatus is the state of one consumer of a group.
type ConsumerStatus struct {
	// Name is the consumer's name.
	Name string `json:"name"`
	// Pending is the number of entries it holds unacknowledged.
	Pending int64 `json:"pending"`
	// Idle is the time since its last attempted interaction (read or claim).
	Idle time.Duration `json:"idle_ns"`
}

// Status returns the state of the given streams, or of every stream that
// Streams finds when none is given. A stream given by name that does not
// exist fails the call with ErrNoStream.
func (in *Inspector) Status(ctx context.Context, streams ...string) ([]StreamStatus, error) {
	if len(streams) == 0 {
		var err error
		if streams, err = in.Streams(ctx); err != nil {
			return nil, err
		}
	}
	out := make([]StreamStatus, 0, len(streams))
	for _, s := range streams {
		st, err := in.streamStatus(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// streamStatus reads one stream in two pipelined round trips: its length,
// groups and dead-letter length, then each group's pending summary and
// consumers.
func (in *Inspector) streamStatus(ctx context.Context, stream string) (StreamStatus, error) {
	st := StreamStatus{Stream: stream, DeadStream: in.DeadLetterStream(stream)}
	var (
		length *redis.IntCmd
		groups *redis.XInfoGroupsCmd
		dead   *redis.IntCmd
	)
	_, _ = in.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		length = p.XLen(ctx, stream)
		groups = p.XInfoGroups(ctx, stream)
		dead = p.XLen(ctx, st.DeadStream)
		return nil
	})
	infos, err := groups.Result()
	if err != nil {
		if isNoSuchKey(err) {
			return st, fmt.Errorf("%w: %q", ErrNoStream, stream)
		}
		return st, fmt.Errorf("inspect: XINFO GROUPS %s: %w", stream, err)
	}
	st.Length, st.DeadLength = length.Val(), dead.Val()
	if err := length.Err(); err != nil {
		return st, fmt.Errorf("inspect: XLEN %s: %w", stream, err)
	}
	if err := dead.Err(); err != nil {
		return st, fmt.Errorf("inspect: XLEN %s: %w", st.DeadStream, err)
	}
	st.Groups, err = in.groupStatuses(ctx, stream, infos)
	return st, err
}

// groupStatuses completes the XINFO GROUPS reply of stream with each group's
// pending summary, consumers and, where Redis has none, a counted lag.
func (in *Inspector) groupStatuses(ctx context.Context, stream string, infos []redis.XInfoGroup) ([]GroupStatus, error) {
	pending := make([]*redis.XPendingCmd, len(infos))
	consumers := make([]*redis.XInfoConsumersCmd, len(infos))
	_, _ = in.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range infos {
			pending[i] = p.XPending(ctx, stream, g.Name)
			consumers[i] = p.XInfoConsumers(ctx, stream, g.Name)
		}
		return nil
	})
	now := time.Now()
	out := make([]GroupStatus, len(infos))
	for i, g := range infos {
		gs := GroupStatus{Name: g.Name, Lag: g.Lag, LagSource: LagRedis, Pending: g.Pending, LastDeliveredID: g.LastDeliveredID}
		sum, err := pending[i].Result()
		if err != nil {
			return nil, fmt.Errorf("inspect: XPENDING %s %s: %w", stream, g.Name, err)
		}
		if sum.Count > 0 {
			gs.OldestPendingID = sum.Lower
			if t := IDTime(sum.Lower); !t.IsZero() {
				gs.OldestPendingAge = max(now.Sub(t), 0)
			}
		}
		cs, err := consumers[i].Result()
		if err != nil {
			return nil, fmt.Errorf("inspect: XINFO CONSUMERS %s %s: %w", stream, g.Name, err)
		}
		gs.Consumers = make([]ConsumerStatus, len(cs))
		for j, c := range cs {
			gs.Consumers[j] = ConsumerStatus{Name: c.Name, Pending: c.Pending, Idle: c.Idle}
		}
		if g.Lag < 0 {
			if gs.Lag, gs.LagSource, err = in.countLag(ctx, stream, g.LastDeliveredID); err != nil {
				return nil, err
			}
		}
		out[i] = gs
	}
	return out, nil
}

// countLag counts the entries of stream after lastDelivered, up to
// Config.LagCountLimit.
func (in *Inspector) countLag(ctx context.Context, stream, lastDelivered string) (int64, string, error) {
	n, complete, err := in.countRange(ctx, stream, "("+lastDelivered, "+", in.cfg.LagCountLimit)
	if err != nil {
		return 0, "", fmt.Errorf("inspect: count the lag of %s: %w", stream, err)
	}
	if !complete {
		return n, LagAtLeast, nil
	}
	return n, LagCounted, nil
}
