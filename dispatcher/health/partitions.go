package health

import (
	"context"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// Partitions returns a check of a partitioned stream's ownership, as c
// (one consumer's partition.Coordinator) sees it: it fails with an error
// wrapping ErrUnowned when some partitions have had no owner for longer
// than maxUnowned (no consumer reads them), and with ErrStale when c has
// not reached Redis for that long. During a rebalance partitions are
// unowned for up to about 4/3 of the lease TTL: a maxUnowned of twice the
// TTL fails only when they stay so. It panics if c is nil or maxUnowned is
// not positive.
func Partitions(c *partition.Coordinator, maxUnowned time.Duration) Check {
	if c == nil {
		panic("health: nil Coordinator passed to Partitions")
	}
	if maxUnowned <= 0 {
		panic("health: Partitions needs a positive maxUnowned")
	}
	return func(context.Context) error {
		s := c.Status()
		switch {
		case s.At.IsZero():
			return fmt.Errorf("%w: the partition coordinator has not reached Redis yet", ErrStale)
		case time.Since(s.At) > maxUnowned:
			return fmt.Errorf("%w: the partition coordinator last reached Redis %s ago, more than %s",
				ErrStale, time.Since(s.At).Round(time.Millisecond), maxUnowned)
		case len(s.Unowned) > 0 && time.Since(s.UnownedSince) > maxUnowned:
			return fmt.Errorf("%w: partitions %v of %s have had no owner for %s, more than %s", ErrUnowned,
				s.Unowned, c.Config().Stream.Name(), time.Since(s.UnownedSince).Round(time.Millisecond), maxUnowned)
		}
		return nil
	}
}
