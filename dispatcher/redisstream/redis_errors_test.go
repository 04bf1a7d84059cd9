package redisstream

import (
	"errors"
	"fmt"
	"testing"
)

// replyError is a Redis error reply, as go-redis returns it.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

// TestRedisErrorsSeeThroughWrapping checks that the reply classifiers
// recognise a reply wrapped by this package (createGroup wraps its error),
// and nothing that is not a Redis reply.
func TestRedisErrorsSeeThroughWrapping(t *testing.T) {
	wrap := func(s string) error { return fmt.Errorf("redisstream: create group: %w", replyError(s)) }
	checks := []struct {
		name string
		is   func(error) bool
		err  error
	}{
		{"BUSYGROUP", isBusyGroup, wrap("BUSYGROUP Consumer Group name already exists")},
		{"NOGROUP", isNoGroup, wrap("NOGROUP No such key 's' or consumer group 'g'")},
		{"UNBLOCKED", isUnblocked, wrap("UNBLOCKED the stream key no longer exists")},
		{"WRONGTYPE", isWrongType, wrap("WRONGTYPE Operation against a key holding the wrong kind of value")},
	}
	for _, c := range checks {
		if !c.is(c.err) {
			t.Errorf("%s not recognised in %v", c.name, c.err)
		}
		if c.is(errors.New(c.name + " but not a reply")) {
			t.Errorf("%s recognised in an error that is not a Redis reply", c.name)
		}
		if c.is(nil) {
			t.Errorf("%s recognised in nil", c.name)
		}
	}
	if isWrongType(wrap("NOGROUP x")) {
		t.Error("WRONGTYPE recognised in a NOGROUP reply")
	}
}
