package health

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisGroup returns a check that passes when XINFO GROUPS lists the
// consumer group on the stream: one command, to the node that holds the
// stream. A missing stream or group fails with an error wrapping
// ErrGroupMissing; a Redis error, an unreachable Redis among them, is
// returned wrapped. The client is shared and never closed.
func RedisGroup(rdb redis.UniversalClient, stream, group string) Check {
	if rdb == nil {
		panic("health: nil redis client passed to RedisGroup")
	}
	return func(ctx context.Context) error {
		groups, err := rdb.XInfoGroups(ctx, stream).Result()
		if err != nil {
			if strings.Contains(err.Error(), "no such key") {
				return fmt.Errorf("%w: stream %q does not exist", ErrGroupMissing, stream)
			}
			return fmt.Errorf("health: XINFO GROUPS %s: %w", stream, err)
		}
		for _, g := range groups {
			if g.Name == group {
				return nil
			}
		}
		return fmt.Errorf("%w: no group %q on stream %q", ErrGroupMissing, group, stream)
	}
}

// Recency returns a check that passes when last reports a time at most
// maxAge ago. last returns the time of the latest successful read (the zero
// time before the first one, which fails the check); it is called on every
// check, from the HTTP goroutine, so it must be safe for concurrent use. It
// panics if last is nil or maxAge is not positive.
//
// A Processor's read loop blocks at most its Block duration per read, so a
// maxAge of a few times Block plus the time to handle a batch detects a
// stuck loop without failing an idle one.
func Recency(last func() time.Time, maxAge time.Duration) Check {
	if last == nil {
		panic("health: nil func passed to Recency")
	}
	if maxAge <= 0 {
		panic("health: Recency needs a positive maxAge")
	}
	return func(context.Context) error {
		t := last()
		if t.IsZero() {
			return fmt.Errorf("%w: no successful read yet", ErrStale)
		}
		if age := time.Since(t); age > maxAge {
			return fmt.Errorf("%w: last successful read %s ago, more than %s", ErrStale, age.Round(time.Millisecond), maxAge)
		}
		return nil
	}
}
