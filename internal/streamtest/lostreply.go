package streamtest

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// ErrLostReply is the error a LoseReplies hook returns for a command whose
// reply it dropped.
var ErrLostReply = errors.New("streamtest: reply lost on purpose")

// LoseReplies is a go-redis hook that lets the next N script calls (EVAL,
// EVALSHA) run on Redis, then drops their replies: the caller gets
// ErrLostReply although Redis wrote everything, as when a connection or
// Redis itself dies right after the write. After, if set, runs after the
// command ran and before the error is returned (to kill Redis, say).
type LoseReplies struct {
	N     atomic.Int32
	After func()
	lost  atomic.Int32
}

// Lost returns how many replies the hook dropped.
func (h *LoseReplies) Lost() int { return int(h.lost.Load()) }

// DialHook passes dials through.
func (h *LoseReplies) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessPipelineHook passes pipelines through.
func (h *LoseReplies) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// ProcessHook drops the reply of a script call that succeeded while N > 0.
func (h *LoseReplies) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		name := cmd.Name()
		if err != nil || (name != "eval" && name != "evalsha") || h.N.Add(-1) < 0 {
			return err
		}
		h.lost.Add(1)
		if h.After != nil {
			h.After()
		}
		cmd.SetErr(ErrLostReply)
		return ErrLostReply
	}
}

// KeyedEvents returns n events of type typ with payload {"n": i} and
// DedupID "<prefix>-<i>".
func KeyedEvents(typ, prefix string, n int) []redisstream.Event {
	events := make([]redisstream.Event, n)
	for i := range events {
		events[i] = redisstream.Event{Type: typ, Payload: map[string]any{"n": i}, DedupID: prefix + "-" + strconv.Itoa(i)}
	}
	return events
}

// PayloadCounts reads stream and returns how many entries hold each value
// of the payload field "n".
func PayloadCounts(t testing.TB, rdb redis.UniversalClient, stream string) map[string]int {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	counts := make(map[string]int, len(msgs))
	for _, m := range msgs {
		v, _ := m.Values["n"].(string)
		counts[v]++
	}
	return counts
}
