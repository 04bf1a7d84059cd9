package health

import "errors"

// ErrGroupMissing is returned by the RedisGroup check when the stream does
// not exist or has no consumer group of that name.
var ErrGroupMissing = errors.New("health: consumer group missing")

// ErrStale is returned by the Recency check when no successful read happened
// yet, or the last one is older than the allowed age.
var ErrStale = errors.New("health: no recent successful read")

// ErrPanic is the error of a check that panicked.
var ErrPanic = errors.New("health: check panicked")

// ErrUnowned is returned by the Partitions check when partitions of a
// partitioned stream have had no owner for longer than allowed.
var ErrUnowned = errors.New("health: partitions without owner")
