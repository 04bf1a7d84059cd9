package inspect

import "errors"

// ErrNoStream is returned when a stream named by the caller does not exist.
var ErrNoStream = errors.New("inspect: no such stream")

// ErrNoGroup is returned by Pending for a consumer group that the stream does
// not have, and by Trim and TrimPoint for a stream without any consumer group
// (with no group, nothing has been acknowledged, so nothing is trimmed).
var ErrNoGroup = errors.New("inspect: no such consumer group")

// ErrNoDeadLetter is returned by DeadLetter for an ID that the dead-letter
// stream does not hold (never written, replayed or purged).
var ErrNoDeadLetter = errors.New("inspect: no such dead letter")

// ErrInvalidFilter is returned for a Filter or an entry ID that cannot be
// used: an ID that is not a stream ID, a negative age, a range whose start is
// after its end.
var ErrInvalidFilter = errors.New("inspect: invalid filter")

// ErrNoTarget is returned by Replay for a dead letter that names no source
// stream when ReplayOptions.To is empty.
var ErrNoTarget = errors.New("inspect: dead letter has no source stream")
