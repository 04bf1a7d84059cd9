package redisstream

import (
	"sync"
	"time"
)

// entryKey names one stream entry.
type entryKey struct{ stream, id string }

// inflight is the set of entries this process holds: read or claimed, and
// neither acknowledged nor given back. The reclaim loop skips them, so that a
// slow handler's entry, or one whose ack waits for Redis to come back, is
// not run twice by this process; and it keeps them fresh in the PEL (see
// run.refresh), so that no XAUTOCLAIM counts them as redelivered.
//
// Each entry carries the time it was claimed or last refreshed, taken once
// Redis had answered: never before Redis's own delivery time of the entry,
// which handBack relies on.
type inflight struct {
	mu  sync.Mutex
	set map[entryKey]time.Time
}

func newInflight() *inflight { return &inflight{set: make(map[entryKey]time.Time)} }

// claim adds the entries not yet held and returns them, reusing (and
// overwriting) the caller's array.
func (f *inflight) claim(stream string, entries []entry) []entry {
	now := time.Now()
	kept := entries[:0]
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range entries {
		k := entryKey{stream, e.id}
		if _, held := f.set[k]; !held {
			f.set[k] = now
			kept = append(kept, e)
		}
	}
	return kept
}

// release removes entries from the set.
func (f *inflight) release(stream string, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.set, entryKey{stream, id})
	}
}

// drop removes entries from the set and, unless fn is nil, calls fn with
// each one that was held and the time it was claimed or last refreshed.
func (f *inflight) drop(stream string, entries []entry, fn func(id string, since time.Time)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range entries {
		k := entryKey{stream, e.id}
		if since, held := f.set[k]; held {
			delete(f.set, k)
			if fn != nil {
				fn(e.id, since)
			}
		}
	}
}

// stale returns the IDs of the entries of stream held, without a refresh,
// since before cutoff.
func (f *inflight) stale(stream string, cutoff time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for k, since := range f.set {
		if k.stream == stream && since.Before(cutoff) {
			ids = append(ids, k.id)
		}
	}
	return ids
}

// touch records that the entries of stream still held were refreshed at t.
func (f *inflight) touch(stream string, t time.Time, ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		k := entryKey{stream, id}
		if _, held := f.set[k]; held {
			f.set[k] = t
		}
	}
}
