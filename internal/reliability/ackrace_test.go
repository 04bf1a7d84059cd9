package reliability

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// errAckRefused is the error ackGate gives XACK while it is closed.
var errAckRefused = errors.New("XACK refused by the test (Redis loading)")

// ackGate is a go-redis hook that forces one interleaving seen when Redis
// restarts: an entry is handled, its XACK fails (Redis is still loading its
// data), and the reclaim loop's XAUTOCLAIM takes the entry over while the
// acknowledgement waits for its retry. The gate refuses every XACK (and
// XCLAIM, the reclaim loop's refresh of held entries) until an
// XAUTOCLAIM returns entries; it then opens, and that XAUTOCLAIM's reply is
// held back until the retried XACK has gone through.
type ackGate struct {
	closed atomic.Bool
	once   sync.Once
	acked  chan struct{} // closed after the first XACK that went through
}

func newAckGate() *ackGate {
	g := &ackGate{acked: make(chan struct{})}
	g.closed.Store(true)
	return g
}

func (g *ackGate) DialHook(next redis.DialHook) redis.DialHook { return next }

func (g *ackGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "xclaim" && g.closed.Load() {
			// Redis loading refuses the reclaim loop's refresh as well,
			// so the entry goes idle and XAUTOCLAIM can take it.
			cmd.SetErr(errAckRefused)
			return errAckRefused
		}
		err := next(ctx, cmd)
		if err != nil || !g.closed.Load() {
			return err
		}
		if claimedAny(cmd) {
			g.closed.Store(false)
			select {
			case <-g.acked:
				time.Sleep(50 * time.Millisecond) // the acker releases the entry
			case <-time.After(10 * time.Second):
			}
		}
		return err
	}
}

// claimedAny reports whether cmd is an XAUTOCLAIM that returned entries.
func claimedAny(cmd redis.Cmder) bool {
	switch c := cmd.(type) {
	case *redis.XAutoClaimCmd:
		msgs, _ := c.Val()
		return len(msgs) > 0
	case *redis.XAutoClaimWithDeletedCmd:
		msgs, _, _ := c.Val()
		return len(msgs) > 0
	}
	return false
}

func (g *ackGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		acks := false
		for _, c := range cmds {
			acks = acks || c.Name() == "xack"
		}
		if acks && g.closed.Load() {
			for _, c := range cmds {
				c.SetErr(errAckRefused)
			}
			return errAckRefused
		}
		err := next(ctx, cmds)
		if acks && err == nil {
			g.once.Do(func() { close(g.acked) })
		}
		return err
	}
}

// TestReliabilityReclaimDuringAckRetry: an entry that was handled and whose
// acknowledgement is being retried must not run again when the reclaim loop
// claims it meanwhile. The reclaim loop must hold the entries it claims, or
// drop those acknowledged since, before running them: otherwise a Redis
// restart (XACK answered with LOADING) runs a whole batch twice in one
// process after a clean recovery (seen in TestReliabilityRedisRestart).
func TestReliabilityReclaimDuringAckRetry(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client(t)
	gate := newAckGate()
	rdb := srv.Client(t)
	rdb.AddHook(gate)
	seen := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("job", seen.Handle)
	p := newProcessor(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{"ackrace"}, Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		MinIdle: 100 * time.Millisecond, ReclaimInterval: 20 * time.Millisecond,
	})
	id := xadd(t, admin, "ackrace", []string{"type", "job"})
	select {
	case <-gate.acked:
	case <-time.After(30 * time.Second):
		t.Fatal("the acknowledgement never went through")
	}
	streamtest.Eventually(t, 30*time.Second, "the PEL is empty", func() bool { return streamtest.Pending(t, admin, "ackrace", "g") == 0 })
	time.Sleep(300 * time.Millisecond) // a few more reclaim rounds
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	if n := seen.Count(streamtest.Entry{Stream: "ackrace", ID: id}); n != 1 {
		t.Errorf("entry handled %d times, want 1: the reclaim loop ran an entry whose acknowledgement was in flight", n)
	}
}
