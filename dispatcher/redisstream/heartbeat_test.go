package redisstream_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// slowHandler blocks its first run until release, failing it if failFirst,
// and records the attempt of every run and the most runs seen at once.
type slowHandler struct {
	failFirst bool
	started   chan struct{}
	release   chan struct{}
	once      sync.Once

	mu        sync.Mutex
	attempts  []int
	running   int
	maxAtOnce int
}

func newSlowHandler(failFirst bool) *slowHandler {
	return &slowHandler{failFirst: failFirst, started: make(chan struct{}), release: make(chan struct{})}
}

func (h *slowHandler) handle(ctx context.Context, msg *dispatcher.Message) error {
	h.mu.Lock()
	h.attempts = append(h.attempts, msg.Attempt)
	first := len(h.attempts) == 1
	h.running++
	h.maxAtOnce = max(h.maxAtOnce, h.running)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.running--
		h.mu.Unlock()
	}()
	if !first {
		return nil
	}
	close(h.started)
	<-h.release
	if h.failFirst {
		return errBad
	}
	return nil
}

func (h *slowHandler) unblock() { h.once.Do(func() { close(h.release) }) }

func (h *slowHandler) runs() (attempts []int, maxAtOnce int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.attempts), h.maxAtOnce
}

// deliveryCount returns the XPENDING delivery count and owner of the only
// pending entry of stream, or 0 unless exactly one entry is pending.
func deliveryCount(t testing.TB, rdb redis.UniversalClient, stream string) (int64, string) {
	t.Helper()
	res, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
		Stream: stream, Group: "g", Start: "-", End: "+", Count: 10,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		return 0, fmt.Sprintf("none of %d pending entries", len(res))
	}
	return res[0].RetryCount, res[0].Consumer
}

// TestSlowHandlerKeptFresh runs a handler for twice MinIdle (4s,
// ReclaimInterval 50ms): its entry's delivery count stays 1 and its owner
// the consumer running it, checked every 100ms while it runs, so no other
// processor of the group runs it meanwhile; and a failure after the slow
// run is redelivered as attempt 2 instead of being dead-lettered for
// exceeding MaxDeliveries (3). The lease is refreshed once held for
// MinIdle/2, so a refresh may come up to 2s late (a starved reclaimer on a
// loaded machine) before the entry looks idle to the other processor; with
// MinIdle 1s, half a second of delay let it take the entry over. Without
// the refresh the entry is claimed again after MinIdle, halfway through
// the run.
func TestSlowHandlerKeptFresh(t *testing.T) {
	const heartbeatMinIdle = 4 * time.Second
	t.Parallel()
	tests := []struct {
		name         string
		processors   int
		failFirst    bool
		wantAttempts []int
	}{
		{name: "failure after a slow run is retried", processors: 1, failFirst: true, wantAttempts: []int{1, 2}},
		{name: "another processor leaves it alone", processors: 2, wantAttempts: []int{1}},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "heartbeat:" + tt.name
			h := newSlowHandler(tt.failFirst)
			t.Cleanup(h.unblock)
			if err := rdb.XGroupCreateMkStream(context.Background(), stream, "g", "0").Err(); err != nil {
				t.Fatal(err)
			}
			for i := range tt.processors {
				d := dispatcher.New(dispatcher.Config{})
				d.OnFunc("slow", h.handle)
				cfg := fastConfig(t, stream)
				cfg.Consumer = []string{"c1", "c2"}[i]
				cfg.MinIdle = heartbeatMinIdle
				streamtest.StartProcessor(t, rdb, d, cfg)
			}
			ids := publish(t, rdb, stream, "slow", 1)
			select {
			case <-h.started:
			case <-time.After(waitTimeout):
				t.Fatal("the slow handler never started")
			}
			_, holder := deliveryCount(t, rdb, stream)
			for start := time.Now(); time.Since(start) < 2*heartbeatMinIdle; time.Sleep(100 * time.Millisecond) {
				if count, owner := deliveryCount(t, rdb, stream); count != 1 || owner != holder {
					t.Errorf("after %v of the slow run: delivery count %d, owner %s; want 1, %s",
						time.Since(start).Round(time.Millisecond), count, owner, holder)
					break
				}
			}
			h.unblock()
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			eventually(t, "every run is recorded", func() bool {
				got, _ := h.runs()
				return len(got) >= len(tt.wantAttempts)
			})
			time.Sleep(300 * time.Millisecond) // a late concurrent run would show
			got, maxAtOnce := h.runs()
			if !slices.Equal(got, tt.wantAttempts) {
				t.Errorf("entry %s: attempts %v, want %v", ids[0], got, tt.wantAttempts)
			}
			if maxAtOnce != 1 {
				t.Errorf("entry ran %d times at once, want 1", maxAtOnce)
			}
			if dl := deadLetters(t, rdb, dispatcher.DeadLetterStream(stream)); len(dl) != 0 {
				t.Errorf("%d dead letters, want none", len(dl))
			}
		})
	}
}
