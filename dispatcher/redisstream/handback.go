package redisstream

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// handBackTimeout bounds the XCLAIMs that hand entries back at stop.
const handBackTimeout = 2 * time.Second

// handback collects the entries this process read but never started before
// reading stopped, by stream and by the time they were claimed or last
// refreshed (one time per batch read or claimed, and per refresh). The
// times are the very values inflight stored, so equal times are equal keys.
type handback struct {
	mu    sync.Mutex
	given map[string]map[time.Time][]string
}

// add records the IDs of stream, by time.
func (h *handback) add(stream string, byTime map[time.Time][]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.given == nil {
		h.given = map[string]map[time.Time][]string{}
	}
	if h.given[stream] == nil {
		h.given[stream] = map[time.Time][]string{}
	}
	for since, ids := range byTime {
		h.given[stream][since] = append(h.given[stream][since], ids...)
	}
}

// take returns what was recorded and forgets it.
func (h *handback) take() map[string]map[time.Time][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	given := h.given
	h.given = nil
	return given
}

// giveBack lets go of entries that will not be run: they stay pending, and
// are handed back when the Processor stops (see handBack).
func (r *pipeline) giveBack(u job) {
	byTime := map[time.Time][]string{}
	r.flights.drop(u.stream, u.entries, func(id string, since time.Time) {
		byTime[since] = append(byTime[since], id)
	})
	r.unstarted.add(u.stream, byTime)
}

// handBack makes the entries given back at stop, read but never started,
// look idle for MinIdle, so that the next reclaim of any consumer of the
// group whose MinIdle is not longer takes them over, instead of waiting
// MinIdle for this process to come back. XCLAIM ... IDLE MinIdle JUSTID
// keeps this consumer as their owner and leaves their delivery counts
// alone. XCLAIM's min-idle-time, the time since this process claimed or
// last refreshed the entry, skips an entry another consumer claimed since
// then (Redis finds it idle for less), so that one is never taken from a
// consumer running it. One pipelined round trip, bounded by
// handBackTimeout; on failure the entries are reclaimed after MinIdle, as
// they would be without it.
func (r *pipeline) handBack() {
	given := r.unstarted.take()
	if len(given) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), handBackTimeout)
	defer cancel()
	var cmds []*redis.StringSliceCmd
	_, err := r.p.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for stream, byTime := range given {
			for since, ids := range byTime {
				cmd := redis.NewStringSliceCmd(ctx, xclaimIdleArgs(stream, r.p.cfg.Group, r.p.cfg.Consumer,
					time.Since(since), r.p.cfg.MinIdle, ids)...)
				_ = p.Process(ctx, cmd) // the error is Pipelined's
				cmds = append(cmds, cmd)
			}
		}
		return nil
	})
	if err != nil {
		r.p.log.Warn("cannot hand back the entries read but not started; they are reclaimed after MinIdle",
			zap.Error(err))
		return
	}
	handed := 0
	for _, cmd := range cmds {
		handed += len(cmd.Val())
	}
	r.p.log.Debug("handed back the entries read but not started", zap.Int("entries", handed))
}

// xclaimIdleArgs returns XCLAIM stream group consumer minIdle ids... IDLE
// idle JUSTID.
func xclaimIdleArgs(stream, group, consumer string, minIdle, idle time.Duration, ids []string) []any {
	args := make([]any, 0, 8+len(ids))
	args = append(args, "xclaim", stream, group, consumer, minIdle.Milliseconds())
	for _, id := range ids {
		args = append(args, id)
	}
	return append(args, "idle", idle.Milliseconds(), "justid")
}
