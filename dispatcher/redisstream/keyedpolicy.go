package redisstream

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/backoff"
)

// orderRetry spaces the runs in place of a failed ordered entry: 100ms,
// 200ms, 400ms, ... +-20%, up to 5s.
var orderRetry = backoff.Exponential{Base: 100 * time.Millisecond, Max: 5 * time.Second, Jitter: 0.2}

const (
	// orderStatsEvery is how often the keyed policy refreshes the snapshot
	// that Processor.OrderStats reads, while its state changes.
	orderStatsEvery = 100 * time.Millisecond
)

// keyedPolicy is the policy of an ordered Processor (see
// ProcessorConfig.OrderKey), on the keyed state: the entries of a key run
// one at a time in stream order, keys concurrently on every worker.
//
// An entry with a key runs through Dispatcher.ProcessInPlace: a failure
// keeps it, and its key, here, to run again after a backoff, only its
// failed retryable routes, until its MaxDeliveries-th run; then it is
// settled (dead-lettered) and the key goes on; each failed route kept to
// run again is reported to the Observer (Retried). Permanent failures of
// earlier runs are dead-lettered with the final outcome. An entry without a
// key runs through Dispatcher.Process, as with the FIFO policy.
//
// A pushed batch goes through the keyed state's caps entry by entry; the
// rest of it waits in overflow, in order, and the policy reports full until
// all of it was taken: it holds at most OrderBuffer entries plus one batch.
type keyedPolicy struct {
	q             *keyed[ordered]
	keyOf         func(stream string, e entry) string
	maxDeliveries int
	log           *zap.Logger
	group         string
	streams       []string
	outcomes      dispatcher.Observer // ProcessorConfig.Observer, told each retry in place; may be nil
	observer      OrderObserver       // nil unless ProcessorConfig.Observer is one
	proc          *Processor          // the Processor of this policy, for the observer

	overflow []job               // pushed, not yet taken by q, in order
	running  map[entryKey]string // the key of each running entry
	waiting  int                 // entries in overflow
	drained  bool                // the stop began (drain): done settles every job

	stats   atomic.Pointer[map[string]keyedStats] // by stream, for OrderStats
	statsAt time.Time                             // time of the snapshot
	dirty   bool                                  // the state changed since the snapshot
	live    bool                                  // keys were held at the snapshot
}

// ordered is an entry held by the keyed policy, with the permanent
// failures of its earlier runs.
type ordered struct {
	stream  string
	e       entry
	carried []dispatcher.RouteFailure
}

// newKeyedPolicy returns the keyed policy of cfg, whose OrderKey or
// OrderKeyFunc is set and whose defaults are applied.
func newKeyedPolicy(cfg ProcessorConfig, log *zap.Logger) *keyedPolicy {
	p := &keyedPolicy{
		q:             newKeyed[ordered](cfg.Concurrency, cfg.OrderKeyBuffer, cfg.OrderBuffer),
		keyOf:         orderKeyOf(cfg, log),
		maxDeliveries: cfg.MaxDeliveries,
		log:           log,
		running:       make(map[entryKey]string, cfg.Concurrency),
		group:         cfg.Group,
		streams:       cfg.Streams,
	}
	p.outcomes = cfg.Observer
	p.observer, _ = cfg.Observer.(OrderObserver)
	p.stats.Store(&map[string]keyedStats{})
	return p
}

// push takes the batch u, as much of it as the caps allow.
func (p *keyedPolicy) push(u job) {
	p.overflow = append(p.overflow, u)
	p.waiting += len(u.entries)
	p.fill(time.Now())
}

// fill offers the entries of overflow, in order, until one is refused.
func (p *keyedPolicy) fill(now time.Time) {
	for len(p.overflow) > 0 {
		head := &p.overflow[0]
		for len(head.entries) > 0 {
			e := head.entries[0]
			if !p.q.offer(p.keyOf(head.stream, e), e.id, now, ordered{stream: head.stream, e: e}) {
				return
			}
			head.entries = head.entries[1:]
			p.waiting--
			p.dirty = true
		}
		p.overflow[0] = job{}
		p.overflow = p.overflow[1:]
	}
}

// full reports whether part of a batch still waits for room.
func (p *keyedPolicy) full() bool { return len(p.overflow) > 0 }

// next returns the next entry whose key is free, if fewer than Concurrency
// run.
func (p *keyedPolicy) next(now time.Time) (job, bool) {
	p.q.due(now)
	p.snapshot(now)
	it, ok := p.q.next()
	if !ok {
		return job{}, false
	}
	o := it.v
	p.running[entryKey{o.stream, o.e.id}] = it.key
	p.dirty = true
	return job{stream: o.stream, entries: []entry{o.e}, inPlace: it.key != ""}, true
}

// done settles an entry without a key, or one whose run succeeded, failed
// for good or used its last run; it keeps a failed entry with a key to run
// it again after a backoff, unless the stop began: it is then settled too
// (left pending), its permanent failures of earlier runs with it.
func (p *keyedPolicy) done(r *result, now time.Time) bool {
	e := r.entries[0]
	ek := entryKey{r.stream, e.id}
	key := p.running[ek]
	delete(p.running, ek)
	p.dirty = true
	if key == "" {
		p.q.done("")
		p.fill(now)
		return true
	}
	h := &r.done[0]
	o := p.q.head(key)
	if !p.drained && !h.rejected && h.out.Action == dispatcher.Retry && h.msg.Attempt < p.maxDeliveries {
		o = p.again(o, h)
		p.retried(&h.msg, o.e.routes)
		p.q.retry(key, now.Add(p.retryIn(h)), o)
		return false
	}
	if len(o.carried) > 0 && !h.rejected {
		h.out.Failures = append(o.carried, h.out.Failures...)
		if h.out.Action == dispatcher.Ack {
			h.out.Action = dispatcher.DeadLetter
		}
	}
	p.q.done(key)
	p.fill(now)
	return true
}

// again returns o to run again after the failed run h: its next delivery
// number, only its failed retryable routes, its permanent failures carried.
func (p *keyedPolicy) again(o ordered, h *handled) ordered {
	o.e.attempts = h.msg.Attempt + 1
	o.e.routes = nil
	for _, f := range h.out.Failures {
		if dispatcher.IsPermanent(f.Err) {
			o.carried = append(o.carried, f)
		} else {
			o.e.routes = append(o.e.routes, f.Route)
		}
	}
	return o
}

// retried tells the Observer, if any, that routes of msg failed and run
// again in place (Observer.Retried).
func (p *keyedPolicy) retried(msg *dispatcher.Message, routes []string) {
	if p.outcomes == nil {
		return
	}
	for _, r := range routes {
		p.outcomes.Retried(msg, r)
	}
}

// retryIn returns the delay before the run after h, and logs the failure.
func (p *keyedPolicy) retryIn(h *handled) time.Duration {
	d := orderRetry.Delay(h.msg.Attempt)
	l := p.log.With(zap.String("stream", h.msg.Stream), zap.String("id", h.msg.ID),
		zap.String("type", h.msg.Type), zap.Int("attempt", h.msg.Attempt), zap.Duration("retry_in", d))
	for _, f := range h.out.Failures {
		l.Warn("ordered message failed; its key waits for its retry in place", zap.String("route", f.Route), zap.Error(f.Err))
	}
	return d
}

// wake returns the next retry time, or the time of the next snapshot while
// the state changed since the last one or keys are held (their longest wait
// grows).
func (p *keyedPolicy) wake() time.Time {
	at, ok := p.q.nextRetry()
	if p.dirty || p.live {
		due := p.statsAt.Add(orderStatsEvery)
		if !ok || due.Before(at) {
			return due
		}
	}
	if !ok {
		return time.Time{}
	}
	return at
}

// held returns how many entries wait: queued, waiting for a retry, or in
// overflow.
func (p *keyedPolicy) held() int { return p.q.held - p.q.running + p.waiting }

// drain returns every entry not running, one job each; the running ones
// are settled when they return (see done).
func (p *keyedPolicy) drain() []job {
	p.drained = true
	out := p.overflow
	p.overflow, p.waiting = nil, 0
	for _, o := range p.q.drain() {
		out = append(out, job{stream: o.stream, entries: []entry{o.e}})
	}
	p.stats.Store(&map[string]keyedStats{})
	p.report(time.Now(), nil)
	return out
}

// snapshot refreshes the stats, for OrderStats and the OrderObserver,
// when the state changed or keys are held, at most every orderStatsEvery.
func (p *keyedPolicy) snapshot(now time.Time) {
	if !p.dirty && !p.live || now.Sub(p.statsAt) < orderStatsEvery {
		return
	}
	byStream := p.q.stats(streamOfKey)
	p.stats.Store(&byStream)
	p.statsAt, p.dirty, p.live = now, false, len(byStream) > 0
	p.report(now, byStream)
}

// report tells the OrderObserver, if any, the stats of every stream.
func (p *keyedPolicy) report(now time.Time, byStream map[string]keyedStats) {
	if p.observer == nil {
		return
	}
	for _, stream := range p.streams {
		p.observer.ObserveOrder(p.proc, p.group, stream, orderStats(byStream[stream], now))
	}
}

// streamOfKey returns the stream of a scoped key (see orderKeyOf).
func streamOfKey(key string) string {
	stream, _, _ := strings.Cut(key, "\x00")
	return stream
}

// orderKeyOf returns the function that gives an entry's ordering key,
// scoped to its stream ("" for no key), from cfg.OrderKeyFunc or
// cfg.OrderKey.
func orderKeyOf(cfg ProcessorConfig, log *zap.Logger) func(stream string, e entry) string {
	scoped := func(stream, key string) string {
		if key == "" {
			return ""
		}
		return stream + "\x00" + key
	}
	if fn := cfg.OrderKeyFunc; fn != nil {
		return func(stream string, e entry) string {
			fields, _ := toFields(e.values)
			msg := dispatcher.NewMessage(stream, e.id, fields)
			msg.Attempt = e.attempts
			return scoped(stream, callOrderKeyFunc(fn, msg, log))
		}
	}
	field := cfg.OrderKey
	return func(stream string, e entry) string {
		v, ok := e.values[field]
		if !ok {
			return ""
		}
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v) // as toFields does
		}
		return scoped(stream, s)
	}
}

// callOrderKeyFunc calls fn, turning a panic into no key (the entry runs
// unordered) and an error log.
func callOrderKeyFunc(fn func(*dispatcher.Message) string, msg *dispatcher.Message, log *zap.Logger) (key string) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("OrderKeyFunc panicked; the message runs without a key", zap.String("stream", msg.Stream),
				zap.String("id", msg.ID), zap.Any("panic", v))
			key = ""
		}
	}()
	return fn(msg)
}
