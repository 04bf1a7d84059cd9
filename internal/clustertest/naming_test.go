package clustertest

import (
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// TestClusterKeyNaming checks, with CLUSTER KEYSLOT on a real cluster, the
// naming rule the README states: the keys the library derives from a stream
// share its slot when the stream name has a hash tag, asynq's keys of one
// queue share the queue's slot, and the streams the other tests use land on
// three different masters.
func TestClusterKeyNaming(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	requireSpread(t, rdb, ordersStream, paymentsStream, usersStream)
	requireSpread(t, rdb, untaggedStream, dispatcher.DeadLetterStream(untaggedStream))
	tests := []struct {
		name     string
		a, b     string
		sameSlot bool
	}{
		{"tagged stream and its dead-letter stream", ordersStream, dispatcher.DeadLetterStream(ordersStream), true},
		{"tagged stream and a helper key with its tag", usersStream, usersStream + ":anything", true},
		{"untagged stream and its dead-letter stream", untaggedStream, dispatcher.DeadLetterStream(untaggedStream), false},
		{"asynq pending list and task hash of one queue", "asynq:{streamfx}:pending", "asynq:{streamfx}:t:streamfx:retry:0123", true},
		{"asynq scheduled set and lease set of one queue", "asynq:{streamfx}:scheduled", "asynq:{streamfx}:lease", true},
		{"asynq queue and the stream it retries", "asynq:{streamfx}:pending", paymentsStream, false},
		{"two reply lists", redisstream.ReplyKey("0123456789abcdef"), redisstream.ReplyKey("fedcba9876543210"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa, sb := slotOf(t, rdb, tt.a), slotOf(t, rdb, tt.b)
			if (sa == sb) != tt.sameSlot {
				t.Errorf("%q is in slot %d and %q in slot %d; same slot = %v, want %v",
					tt.a, sa, tt.b, sb, sa == sb, tt.sameSlot)
			}
		})
	}
	if got := redisstream.ReplyKey("abc"); got != "reply:abc" {
		t.Errorf("ReplyKey(abc) = %q, want the seed's reply:abc", got)
	}
	for _, k := range []string{ordersStream, paymentsStream, usersStream, untaggedStream,
		dispatcher.DeadLetterStream(untaggedStream), "asynq:{streamfx}:pending"} {
		t.Logf("%s", describe(t, rdb, k))
	}
}
