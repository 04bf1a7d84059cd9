package redisstream

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// handBackTimeout bounds the XCLAIMs that hand entries back at stop.
const handBackTimeout = 2 * time.Second

// handBackMargin is taken off the time since an entry was last claimed or
// refreshed, to allow for the round trip between that time and Redis's.
const handBackMargin = 100 * time.Millisecond

// handback collects, per stream, the entries this process read but never
// started before reading stopped, and the latest time any of them was
// claimed or refreshed.
type handback struct {
	mu     sync.Mutex
	ids    map[string][]string
	latest map[string]time.Time
}

// giveBack lets go of entries that will not be run: they stay pending, and
// are handed back when the Processor stops (see handBack).
func (r *run) giveBack(stream string, entries []entry) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	latest := r.flights.drop(stream, ids)
	h := &r.unstarted
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ids == nil {
		h.ids, h.latest = map[string][]string{}, map[string]time.Time{}
	}
	h.ids[stream] = append(h.ids[stream], ids...)
	if latest.After(h.latest[stream]) {
		h.latest[stream] = latest
	}
}

// handBack makes the entries given back at stop, read but never started,
// look idle for MinIdle, so that the next reclaim of any consumer of the
// group takes them over, instead of waiting MinIdle for this process to
// come back. XCLAIM ... IDLE MinIdle JUSTID keeps this consumer as their
// owner and leaves their delivery counts alone; its min-idle-time (the
// time since this process last claimed or refreshed any of them) skips an
// entry another consumer claimed since. A failure is logged: the entries
// are then reclaimed after MinIdle, as they would be without it.
func (r *run) handBack() {
	h := &r.unstarted
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), handBackTimeout)
	defer cancel()
	for stream, ids := range h.ids {
		minIdle := max(time.Since(h.latest[stream])-handBackMargin, 0)
		args := make([]any, 0, 8+len(ids))
		args = append(args, "xclaim", stream, r.cfg.Group, r.cfg.Consumer, minIdle.Milliseconds())
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, "idle", r.cfg.MinIdle.Milliseconds(), "justid")
		if err := r.p.rdb.Do(ctx, args...).Err(); err != nil {
			r.p.log.Warn("cannot hand back the entries read but not started; they are reclaimed after MinIdle",
				zap.String("stream", stream), zap.Int("entries", len(ids)), zap.Error(err))
			continue
		}
		r.p.log.Debug("handed back the entries read but not started",
			zap.String("stream", stream), zap.Int("entries", len(ids)))
	}
}
