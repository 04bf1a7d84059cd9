package redisstream

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
)

const (
	backoffBase = 50 * time.Millisecond
	backoffCap  = 5 * time.Second
)

// health tracks whether Redis answers, so that an outage is logged once when
// it starts and once when it ends, however many loops notice it. Each loop
// reports under its own key (a stream's reader, a stream's reclaim, the
// acker): the outage ends when every loop that failed has succeeded again,
// so that on Redis Cluster a master that is down does not make the loops of
// the live masters log the outage over and over.
type health struct {
	log     *zap.Logger
	mu      sync.Mutex
	failing map[string]bool // keys of the loops whose last call failed
	since   time.Time
}

// fail records a failed Redis call op of the loop key.
func (h *health) fail(key, op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing == nil {
		h.failing = make(map[string]bool)
	}
	down := len(h.failing) > 0
	h.failing[key] = true
	if down {
		return
	}
	h.since = time.Now()
	h.log.Error("redis unavailable or failing; retrying with backoff", zap.String("op", op), zap.Error(err))
}

// ok records a successful Redis call of the loop key.
func (h *health) ok(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failing[key] {
		return
	}
	delete(h.failing, key)
	if len(h.failing) > 0 {
		return
	}
	h.log.Info("redis answers again", zap.Duration("outage", time.Since(h.since)))
}

// backoff is an exponential backoff with jitter, capped at backoffCap.
type backoff struct{ n int }

// next returns the next delay: a random duration in [d/2, d], where d
// doubles from backoffBase up to backoffCap.
func (b *backoff) next() time.Duration {
	d := backoffBase << min(b.n, 10)
	d = min(d, backoffCap)
	b.n++
	return d/2 + rand.N(d/2+1)
}

// reset starts over after a success.
func (b *backoff) reset() { b.n = 0 }

// wait sleeps for the next delay; it returns false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	t := time.NewTimer(b.next())
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
