package redisstream

import "strings"

// isBusyGroup reports a BUSYGROUP reply: the group exists already.
func isBusyGroup(err error) bool { return hasPrefix(err, "BUSYGROUP") }

// isNoGroup reports a NOGROUP reply: the group or the stream is gone.
func isNoGroup(err error) bool { return hasPrefix(err, "NOGROUP") }

// isUnblocked reports an UNBLOCKED reply: the stream was deleted while a
// blocking read waited on it.
func isUnblocked(err error) bool { return hasPrefix(err, "UNBLOCKED") }

// isWrongType reports a WRONGTYPE reply: the key is not a stream.
func isWrongType(err error) bool { return hasPrefix(err, "WRONGTYPE") }

func hasPrefix(err error, prefix string) bool {
	return err != nil && strings.HasPrefix(err.Error(), prefix)
}
