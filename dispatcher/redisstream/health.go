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
// it starts and once when it ends, however many loops notice it.
type health struct {
	log   *zap.Logger
	mu    sync.Mutex
	down  bool
	since time.Time
}

// fail records a failed Redis call.
func (h *health) fail(op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return
	}
	h.down, h.since = true, time.Now()
	h.log.Error("redis unavailable or failing; retrying with backoff", zap.String("op", op), zap.Error(err))
}

// ok records a successful Redis call.
func (h *health) ok() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return
	}
	h.down = false
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
