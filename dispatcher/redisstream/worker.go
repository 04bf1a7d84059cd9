package redisstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// workers is the stage that runs the handlers: a pool of goroutines, each
// running the jobs the scheduler sends on work, one at a time, through
// Dispatcher.Process, and reporting each job's result on results. Once
// stopping is set (the scheduler stops), a worker starts no further entry
// of its job: it gives the rest back unstarted and reports what ran.
type workers struct {
	d        *dispatcher.Dispatcher
	cfg      ProcessorConfig
	work     <-chan job
	results  chan<- result
	stopping *atomic.Bool // scheduler.stopping
	giveBack func(job)    // lets go of entries not started (see pipeline.giveBack)
	arrays   *recycler    // the arrays of outcomes (result.done)

	slots []slot // one per worker: what it runs, for logRunning
}

// slot is what one worker runs, if anything.
type slot struct {
	mu      sync.Mutex
	running job // no entries when idle
}

// set records j (an empty job when idle).
func (s *slot) set(j job) {
	s.mu.Lock()
	s.running = j
	s.mu.Unlock()
}

// run runs a worker per slot until work is closed and returns once they all have
// returned. ctx is the handlers' context: once it ends (an aborted stop),
// a worker reports nothing more and starts no other job; the entries stay
// pending.
func (w *workers) run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := range w.slots {
		wg.Go(func() {
			for u := range w.work {
				if ctx.Err() != nil || !w.acquire(ctx) {
					continue // aborted: neither run nor report it
				}
				w.slots[i].set(u)
				r := w.runJob(ctx, u)
				w.slots[i].set(job{})
				w.release()
				if ctx.Err() != nil {
					continue // aborted meanwhile: the result is discarded
				}
				w.results <- r
			}
		})
	}
	wg.Wait()
	return nil
}

// runJob runs the entries of u one after the other, or, for a batch,
// together. Once stopping is set, or ctx ends, it starts no further entry:
// the result holds the entries that ran, and those that did not are given
// back (after an abort, ctx ended, the caller discards the result anyway).
func (w *workers) runJob(ctx context.Context, u job) result {
	r := result{job: u, done: w.arrays.get(len(u.entries))}
	if u.batch {
		w.runBatch(ctx, u.stream, u.entries, r.done)
		return r
	}
	for i, e := range u.entries {
		if i > 0 && (w.stopping.Load() || ctx.Err() != nil) {
			if ctx.Err() == nil {
				w.giveBack(job{stream: u.stream, entries: u.entries[i:]})
			}
			r.entries, r.done = u.entries[:i], r.done[:i]
			break
		}
		h := &r.done[i]
		if w.prepare(h, u.stream, e); h.rejected {
			continue
		}
		switch {
		case u.inPlace && e.routes != nil: // a run again in place of the routes that failed
			h.out = w.d.ProcessInPlace(ctx, &h.msg, e.routes...)
		case u.inPlace: // the policy retries failures itself: no RetryScheduler
			h.out = w.d.ProcessInPlaceExcept(ctx, &h.msg, e.completed)
		default:
			h.out = w.d.ProcessExcept(ctx, &h.msg, e.completed)
		}
	}
	return r
}

// runBatch runs entries through Dispatcher.ProcessBatch and records each
// one's outcome in done; an entry rejected before any handler runs is left
// out of the batch.
func (w *workers) runBatch(ctx context.Context, stream string, entries []entry, done []handled) {
	msgs := make([]*dispatcher.Message, 0, len(entries))
	at := make([]int, 0, len(entries)) // at[j]: index in entries of msgs[j]
	for i, e := range entries {
		if w.prepare(&done[i], stream, e); !done[i].rejected {
			msgs, at = append(msgs, &done[i].msg), append(at, i)
		}
	}
	for j, o := range w.d.ProcessBatch(ctx, msgs) {
		done[at[j]].out = o
	}
}

// prepare builds the message of e in h, with a dead-letter outcome if it
// must be dead-lettered without running any handler.
func (w *workers) prepare(h *handled, stream string, e entry) {
	fields, size := toFields(e.values)
	h.msg = *dispatcher.NewMessage(stream, e.id, fields)
	h.msg.ConsumerGroup = w.cfg.Group
	h.msg.Attempt = e.attempts
	if reason := w.reject(&h.msg, size); reason != nil {
		h.rejected = true
		h.out = dispatcher.Outcome{Action: dispatcher.DeadLetter, Failures: []dispatcher.RouteFailure{{Err: reason}}}
	}
}

// reject returns why msg, of size bytes (see toFields), must be
// dead-lettered without running any handler, or nil.
func (w *workers) reject(msg *dispatcher.Message, size int) error {
	if limit := w.cfg.MaxMessageBytes; limit > 0 && size > limit {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, size, limit)
	}
	if msg.Attempt > w.cfg.MaxDeliveries {
		return fmt.Errorf("%w: delivered %d times, limit %d", ErrTooManyDeliveries, msg.Attempt, w.cfg.MaxDeliveries)
	}
	return nil
}

// logRunning logs, at warn level, each entry a worker is running, with the
// routes of its type: called when the stop deadline passed, before their
// context is cancelled.
func (w *workers) logRunning(log *zap.Logger) {
	for i := range w.slots {
		s := &w.slots[i]
		s.mu.Lock()
		j := s.running
		s.mu.Unlock()
		for _, e := range j.entries {
			typ, _ := e.values[dispatcher.TypeField].(string)
			log.Warn("handler still running at the stop deadline; cancelling its context, the entry stays pending",
				zap.String("stream", j.stream), zap.String("id", e.id), zap.String("type", typ),
				zap.Strings("routes", w.routes(typ)))
		}
	}
}

// routes returns the names of the routes of type typ.
func (w *workers) routes(typ string) []string {
	var names []string
	for _, r := range w.d.Routes() {
		if r.Type == typ {
			names = append(names, r.Name)
		}
	}
	return names
}
