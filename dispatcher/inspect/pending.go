package inspect

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// defaultPendingLimit is how many entries Pending returns when the query sets
// no limit.
const defaultPendingLimit = 100

// PendingQuery selects the pending entries of a group.
type PendingQuery struct {
	// Consumer, if set, keeps the entries of this consumer only.
	Consumer string
	// MinIdle, if > 0, keeps entries idle for at least this long.
	MinIdle time.Duration
	// Limit is the most entries returned, oldest first. If zero, 100.
	Limit int64
}

// PendingEntry is one entry delivered to a group and not yet acknowledged.
type PendingEntry struct {
	// ID is the stream entry ID.
	ID string `json:"id"`
	// Consumer holds the entry.
	Consumer string `json:"consumer"`
	// Idle is the time since it was last delivered to Consumer.
	Idle time.Duration `json:"idle_ns"`
	// Deliveries counts how many times it was delivered.
	Deliveries int64 `json:"deliveries"`
	// Type is its event type, "" when it has none or was deleted from the
	// stream (then Deleted is true).
	Type string `json:"type"`
	// Deleted is true when the entry is pending but no longer in the stream
	// (trimmed or deleted while a consumer held it).
	Deleted bool `json:"deleted,omitempty"`
}

// Pending returns the pending entries of group on stream selected by q,
// oldest first, each with its event type (read with one pipelined XRANGE per
// entry). It returns ErrNoStream or ErrNoGroup when they do not exist.
func (in *Inspector) Pending(ctx context.Context, stream, group string, q PendingQuery) ([]PendingEntry, error) {
	if err := in.requireGroup(ctx, stream, group); err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = defaultPendingLimit
	}
	ext, err := in.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: stream, Group: group, Idle: q.MinIdle, Start: "-", End: "+", Count: q.Limit, Consumer: q.Consumer,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("inspect: XPENDING %s %s: %w", stream, group, err)
	}
	ranges := make([]*redis.XMessageSliceCmd, len(ext))
	_, _ = in.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range ext {
			ranges[i] = p.XRange(ctx, stream, e.ID, e.ID)
		}
		return nil
	})
	out := make([]PendingEntry, len(ext))
	for i, e := range ext {
		msgs, err := ranges[i].Result()
		if err != nil {
			return nil, fmt.Errorf("inspect: XRANGE %s %s: %w", stream, e.ID, err)
		}
		out[i] = PendingEntry{ID: e.ID, Consumer: e.Consumer, Idle: e.Idle, Deliveries: e.RetryCount, Deleted: len(msgs) == 0}
		if len(msgs) > 0 {
			out[i].Type = dispatcher.NewMessage(stream, e.ID, stringFields(msgs[0].Values)).Type
		}
	}
	return out, nil
}

// requireGroup returns ErrNoStream or ErrNoGroup unless stream exists and has
// group.
func (in *Inspector) requireGroup(ctx context.Context, stream, group string) error {
	groups, err := in.rdb.XInfoGroups(ctx, stream).Result()
	if isNoSuchKey(err) {
		return fmt.Errorf("%w: %q", ErrNoStream, stream)
	}
	if err != nil {
		return fmt.Errorf("inspect: XINFO GROUPS %s: %w", stream, err)
	}
	for _, g := range groups {
		if g.Name == group {
			return nil
		}
	}
	return fmt.Errorf("%w: stream %q has no group %q", ErrNoGroup, stream, group)
}

// stringFields converts the values of an XRANGE reply, which go-redis gives
// as strings in an any map, to the map a dispatcher.Message holds.
func stringFields(values map[string]any) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}
