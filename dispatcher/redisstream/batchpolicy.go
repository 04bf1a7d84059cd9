package redisstream

import (
	"strings"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// batchPolicy is the policy of a Processor whose Dispatcher has batch
// routes: it gathers the entries of a batch route's type read from one
// stream into one job, run by one worker through Dispatcher.ProcessBatch,
// once it holds the type's MaxBatch entries or its first entry waited
// MaxWait, whichever comes first. Entries of other types go through a FIFO
// policy beside it; a free worker takes a ready batch and a FIFO entry in
// turn, so that neither starves the other.
//
// It holds at most limit entries, filling batches and ready jobs counted,
// taken in read batches of up to batchSize. Stop gives back, unstarted,
// the batches still filling and those not started (see drain): they stay
// pending and another consumer takes them over.
type batchPolicy struct {
	fifo             *fifoPolicy
	limits           func(eventType string) (dispatcher.BatchLimits, bool)
	now              func() time.Time
	batchSize, limit int

	filling  []*filling // batches waiting to fill, oldest first
	ready    []job      // batches to start, in the order they became ready
	n        int        // entries in filling and ready
	fifoTurn bool       // next gives the FIFO the first chance
}

// filling is a batch of one stream and type that is not full yet.
type filling struct {
	stream, eventType string
	entries           []entry
	limits            dispatcher.BatchLimits
	due               time.Time // when the first entry has waited MaxWait
}

// newBatchPolicy returns a batch policy over limits (Dispatcher.BatchLimits)
// that holds up to limit entries, taken in batches of up to batchSize.
func newBatchPolicy(batchSize, limit int, limits func(string) (dispatcher.BatchLimits, bool)) *batchPolicy {
	return &batchPolicy{fifo: newFIFO(batchSize, limit), limits: limits, now: time.Now,
		batchSize: batchSize, limit: max(limit, batchSize)}
}

// push sorts the entries of u: those of a batch route's type join the
// batch of their stream and type, the others queue in the FIFO, in order.
func (p *batchPolicy) push(u job) {
	var plain []entry
	now := time.Time{}
	for _, e := range u.entries {
		t := entryType(e)
		l, ok := p.limits(t)
		if !ok {
			plain = append(plain, e)
			continue
		}
		if now.IsZero() {
			now = p.now()
		}
		p.add(u.stream, t, l, e, now)
	}
	if len(plain) > 0 {
		p.fifo.push(job{stream: u.stream, entries: plain})
	}
}

// add puts e in the batch of (stream, t), starting one if needed, and
// moves the batch to ready once it is full.
func (p *batchPolicy) add(stream, t string, l dispatcher.BatchLimits, e entry, now time.Time) {
	p.n++
	for i, f := range p.filling {
		if f.stream != stream || f.eventType != t {
			continue
		}
		f.entries = append(f.entries, e)
		if len(f.entries) >= f.limits.MaxBatch {
			p.promote(i)
		}
		return
	}
	f := &filling{stream: stream, eventType: t, limits: l, due: now.Add(l.MaxWait),
		entries: make([]entry, 1, l.MaxBatch)}
	f.entries[0] = e
	p.filling = append(p.filling, f)
	if l.MaxBatch <= 1 {
		p.promote(len(p.filling) - 1)
	}
}

// promote moves filling[i] to ready.
func (p *batchPolicy) promote(i int) {
	f := p.filling[i]
	p.ready = append(p.ready, job{stream: f.stream, entries: f.entries, batch: true})
	p.filling = append(p.filling[:i], p.filling[i+1:]...)
}

// full reports whether a read batch of batchSize more would not fit.
func (p *batchPolicy) full() bool { return p.held() > p.limit-p.batchSize }

// next returns a ready batch or a FIFO entry, in turn; a batch whose first
// entry waited MaxWait is ready.
func (p *batchPolicy) next(now time.Time) (job, bool) {
	for i := 0; i < len(p.filling); {
		if now.Before(p.filling[i].due) {
			i++
			continue
		}
		p.promote(i)
	}
	p.fifoTurn = !p.fifoTurn
	if p.fifoTurn || len(p.ready) == 0 {
		if u, ok := p.fifo.next(now); ok {
			return u, true
		}
	}
	if len(p.ready) == 0 {
		return job{}, false
	}
	u := p.ready[0]
	p.ready[0] = job{}
	p.ready = p.ready[1:]
	p.n -= len(u.entries)
	return u, true
}

// done lets every job be settled.
func (p *batchPolicy) done(*result, time.Time) bool { return true }

// wake returns when the oldest filling batch is due, or the zero time.
func (p *batchPolicy) wake() time.Time {
	var at time.Time
	for _, f := range p.filling {
		if at.IsZero() || f.due.Before(at) {
			at = f.due
		}
	}
	return at
}

// held returns the entries held: queued in the FIFO, filling or ready.
func (p *batchPolicy) held() int { return p.fifo.held() + p.n }

// drain returns every entry held, batches filling included, and forgets
// them.
func (p *batchPolicy) drain() []job {
	out := append(p.fifo.drain(), p.ready...)
	for _, f := range p.filling {
		out = append(out, job{stream: f.stream, entries: f.entries})
	}
	p.ready, p.filling, p.n = nil, nil, 0
	return out
}

// entryType returns the event type of e as dispatcher.NewMessage decodes
// it, or "" if it has none.
func entryType(e entry) string {
	raw, _ := e.values[dispatcher.TypeField].(string)
	if !strings.HasPrefix(raw, dispatcher.JSONPrefix) {
		return raw
	}
	if v, err := dispatcher.DecodeValue(dispatcher.TypeField, raw); err == nil {
		s, _ := v.(string)
		return s
	}
	return ""
}

// maxBatch returns the largest MaxBatch of d's batch routes, 0 if it has
// none.
func maxBatch(d *dispatcher.Dispatcher) int {
	most := 0
	for _, r := range d.Routes() {
		if r.Batch != nil {
			most = max(most, r.MaxBatch)
		}
	}
	return most
}
