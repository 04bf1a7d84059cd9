package redisstream

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/internal/backoff"
)

const (
	backoffBase = 50 * time.Millisecond
	backoffCap  = time.Second
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

// retryBackoff returns the backoff of a loop of the engine after a failed
// Redis call: from 50ms, doubling, spread by +-50%, capped at 1s, so that
// each loop tries again, and consumption resumes, within a second of Redis
// answering again.
func retryBackoff() backoff.Retry {
	return backoff.Retry{Exponential: backoff.Exponential{Base: backoffBase, Max: backoffCap, Jitter: 0.5}}
}
