package redisstream

import (
	"container/heap"
	"strconv"
	"strings"
	"time"
)

// keyed is the state of the keyed scheduling policy (see
// ProcessorConfig.OrderKey): the entries of one key run one at a time, in
// stream ID order; entries of different keys, and entries without a key, run
// concurrently, up to limit at a time, in the order they became runnable.
//
// It holds at most perKey entries of one key and total entries in all, those
// running or waiting for a retry included: offer refuses an entry beyond
// that, and the scheduler then takes no entry until one finished (the
// readers wait: backpressure). A failed entry stays the head of its key,
// which runs nothing else until the entry runs again at its retry time.
//
// keyed does no I/O, takes no lock and reads no clock: the scheduler's
// goroutine owns it and passes the time in.
type keyed[T any] struct {
	limit, perKey, total int

	keys    map[string]*keyQueue[T]
	ready   fifoQueue[runnable[T]] // runnable: a key whose head may start, or an entry without a key
	retries retryHeap[T]           // keys whose head waits for its retry time
	held    int                    // entries held: queued, running or waiting for a retry
	running int
}

// keyedItem is one entry held by keyed.
type keyedItem[T any] struct {
	key   string    // "" for an entry without a key
	id    streamID  // its order within the key
	since time.Time // when it was offered
	v     T
}

// keyQueue holds the entries of one key in ID order; items[0] is the head,
// the entry that runs, waits for its retry, or starts next.
type keyQueue[T any] struct {
	key     string
	items   []keyedItem[T]
	busy    bool      // the head is running or waiting for its retry
	retryAt time.Time // when busy and not running: the head's retry time
}

// runnable is one element of the ready queue: a key (k != nil) or an
// entry without a key.
type runnable[T any] struct {
	k    *keyQueue[T]
	item keyedItem[T]
}

// newKeyed returns an empty keyed state that runs at most limit entries at
// a time and holds at most perKey entries of one key and total in all.
func newKeyed[T any](limit, perKey, total int) *keyed[T] {
	return &keyed[T]{limit: max(limit, 1), perKey: max(perKey, 1), total: max(total, 1),
		keys: make(map[string]*keyQueue[T])}
}

// offer takes an entry of key (empty: no key) with stream ID id, offered at
// now. It reports false, taking nothing, when the entry would exceed the
// per-key or the total cap; the caller offers it again once an entry
// finished. An entry with an ID lower than entries of its key already
// waiting (an entry reclaimed from another consumer, or redelivered) is put
// before them; it never overtakes the head once that started.
func (q *keyed[T]) offer(key, id string, now time.Time, v T) bool {
	if q.held >= q.total {
		return false
	}
	it := keyedItem[T]{key: key, id: parseStreamID(id), since: now, v: v}
	if key == "" {
		q.held++
		q.ready.push(runnable[T]{item: it})
		return true
	}
	k := q.keys[key]
	if k == nil {
		k = &keyQueue[T]{key: key}
		q.keys[key] = k
		q.ready.push(runnable[T]{k: k})
	} else if len(k.items) >= q.perKey {
		return false
	}
	q.held++
	k.insert(it)
	return true
}

// insert puts it in ID order, after the head if the head started.
func (k *keyQueue[T]) insert(it keyedItem[T]) {
	first := 0
	if k.busy {
		first = 1
	}
	i := len(k.items)
	for i > first && it.id.less(k.items[i-1].id) {
		i--
	}
	k.items = append(k.items, keyedItem[T]{})
	copy(k.items[i+1:], k.items[i:])
	k.items[i] = it
}

// next returns the entry to start now, if fewer than limit run and one is
// runnable. The caller reports its end with done or retry.
func (q *keyed[T]) next() (keyedItem[T], bool) {
	if q.running >= q.limit {
		return keyedItem[T]{}, false
	}
	u, ok := q.ready.pop()
	if !ok {
		return keyedItem[T]{}, false
	}
	q.running++
	if u.k == nil {
		return u.item, true
	}
	u.k.busy = true
	return u.k.items[0], true
}

// done records that the entry of key that started last finished for good
// (acknowledged, dead-lettered, or left to redelivery): the key's next entry
// becomes runnable.
func (q *keyed[T]) done(key string) {
	q.running--
	q.held--
	if key == "" {
		return
	}
	k := q.keys[key]
	var zero keyedItem[T]
	k.items[0] = zero // let the entry be collected
	k.items = k.items[1:]
	k.busy = false
	if len(k.items) == 0 {
		delete(q.keys, key)
		return
	}
	q.ready.push(runnable[T]{k: k})
}

// head returns the value of key's head, the entry that runs, waits for its
// retry, or starts next.
func (q *keyed[T]) head(key string) T { return q.keys[key].items[0].v }

// retry records that the running head of key failed and runs again at at,
// with v (the entry with its updated attempt); until then key runs nothing
// else.
func (q *keyed[T]) retry(key string, at time.Time, v T) {
	q.running--
	k := q.keys[key]
	k.items[0].v = v
	k.retryAt = at
	heap.Push(&q.retries, k)
}

// due makes runnable the keys whose retry time is not after now.
func (q *keyed[T]) due(now time.Time) {
	for len(q.retries) > 0 && !q.retries[0].retryAt.After(now) {
		k := heap.Pop(&q.retries).(*keyQueue[T])
		k.busy = false
		q.ready.push(runnable[T]{k: k})
	}
}

// nextRetry returns the earliest retry time, if a key waits for one.
func (q *keyed[T]) nextRetry() (time.Time, bool) {
	if len(q.retries) == 0 {
		return time.Time{}, false
	}
	return q.retries[0].retryAt, true
}

// drain removes and returns every entry that is not running: queued or
// waiting for a retry, for the caller to give back at stop. Running entries
// stay, and the caller still reports each with done (a failed one is given
// back too, not retried).
func (q *keyed[T]) drain() []T {
	var out []T
	for {
		u, ok := q.ready.pop()
		if !ok {
			break
		}
		if u.k == nil {
			out = append(out, u.item.v)
			q.held--
		}
	}
	for len(q.retries) > 0 {
		k := heap.Pop(&q.retries).(*keyQueue[T])
		k.busy = false // its head does not run: given back below
	}
	for key, k := range q.keys {
		first := 0
		if k.busy {
			first = 1 // running
		}
		for _, it := range k.items[first:] {
			out = append(out, it.v)
		}
		q.held -= len(k.items) - first
		k.items = k.items[:first]
		if first == 0 {
			delete(q.keys, key)
		}
	}
	return out
}

// keyedStats describes the keys of one scope (a stream), for metrics.
type keyedStats struct {
	Keys    int       // keys with an entry held
	Waiting int       // entries held behind an earlier entry of their key
	Oldest  time.Time // when the longest waiting of those was offered; zero if none
}

// stats returns the keyedStats of each scope, scope(key) naming the scope
// of a key. It visits every entry held: call it for a metrics refresh, not
// per entry.
func (q *keyed[T]) stats(scope func(key string) string) map[string]keyedStats {
	out := make(map[string]keyedStats)
	for key, k := range q.keys {
		sc := scope(key)
		s := out[sc]
		s.Keys++
		s.Waiting += len(k.items) - 1
		for _, it := range k.items[1:] {
			if s.Oldest.IsZero() || it.since.Before(s.Oldest) {
				s.Oldest = it.since
			}
		}
		out[sc] = s
	}
	return out
}

// streamID is a stream entry ID, "<ms>-<seq>", as numbers for ordering.
type streamID struct{ ms, seq uint64 }

// parseStreamID parses a stream entry ID; a malformed one (Redis never
// returns one) sorts last.
func parseStreamID(id string) streamID {
	a, b, ok := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return streamID{ms: ^uint64(0), seq: ^uint64(0)}
	}
	return streamID{ms: ms, seq: seq}
}

func (a streamID) less(b streamID) bool {
	return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq)
}

// retryHeap orders the keys waiting for a retry by retry time.
type retryHeap[T any] []*keyQueue[T]

func (h retryHeap[T]) Len() int           { return len(h) }
func (h retryHeap[T]) Less(i, j int) bool { return h[i].retryAt.Before(h[j].retryAt) }
func (h retryHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap[T]) Push(x any)        { *h = append(*h, x.(*keyQueue[T])) }
func (h *retryHeap[T]) Pop() any {
	old := *h
	k := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return k
}

// fifoQueue is a first-in first-out queue on a slice that reuses its space.
type fifoQueue[T any] struct {
	buf  []T
	head int
}

func (f *fifoQueue[T]) push(v T) { f.buf = append(f.buf, v) }

func (f *fifoQueue[T]) pop() (T, bool) {
	var zero T
	if f.head == len(f.buf) {
		return zero, false
	}
	v := f.buf[f.head]
	f.buf[f.head] = zero
	f.head++
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
	} else if f.head >= 64 && f.head*2 >= len(f.buf) {
		n := copy(f.buf, f.buf[f.head:])
		clear(f.buf[n:])
		f.buf, f.head = f.buf[:n], 0
	}
	return v, true
}

func (f *fifoQueue[T]) len() int { return len(f.buf) - f.head }
