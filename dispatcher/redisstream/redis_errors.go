package redisstream

import "github.com/redis/go-redis/v9"

// isBusyGroup reports a BUSYGROUP reply: the group exists already.
func isBusyGroup(err error) bool { return redis.HasErrorPrefix(err, "BUSYGROUP") }

// isNoGroup reports a NOGROUP reply: the group or the stream is gone.
func isNoGroup(err error) bool { return redis.HasErrorPrefix(err, "NOGROUP") }

// isUnblocked reports an UNBLOCKED reply: the stream was deleted while a
// blocking read waited on it.
func isUnblocked(err error) bool { return redis.HasErrorPrefix(err, "UNBLOCKED") }

// isWrongType reports a WRONGTYPE reply: the key is not a stream. Like the
// others, it sees through wrapping (createGroup wraps its error).
func isWrongType(err error) bool { return redis.HasErrorPrefix(err, "WRONGTYPE") }
