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
// reclaimer.refresh), so that no XAUTOCLAIM counts them as redelivered.
//
// Each entry carries the time it was claimed or last refreshed, taken once
// Redis had answered: never before Redis's own delivery time of the entry,
// which handBack relies on.
type inflight struct {
	mu  sync.Mutex
	set map[string]map[string]time.Time // stream -> ID -> claimed or refreshed
}

func newInflight() *inflight { return &inflight{set: make(map[string]map[string]time.Time)} }

// ofStream returns the entries of stream held, creating its map if needed;
// the caller holds mu.
func (f *inflight) ofStream(stream string) map[string]time.Time {
	held := f.set[stream]
	if held == nil {
		held = make(map[string]time.Time)
		f.set[stream] = held
	}
	return held
}

// claim adds the entries not yet held and returns them, reusing (and
// overwriting) the caller's array.
func (f *inflight) claim(stream string, entries []entry) []entry {
	now := time.Now()
	kept := entries[:0]
	f.mu.Lock()
	defer f.mu.Unlock()
	held := f.ofStream(stream)
	for _, e := range entries {
		if _, ok := held[e.id]; !ok {
			held[e.id] = now
			kept = append(kept, e)
		}
	}
	return kept
}

// release removes entries from the set.
func (f *inflight) release(stream string, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := f.set[stream]
	for _, id := range ids {
		delete(held, id)
	}
}

// drop removes entries from the set and, unless fn is nil, calls fn with
// each one that was held and the time it was claimed or last refreshed.
func (f *inflight) drop(stream string, entries []entry, fn func(id string, since time.Time)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := f.set[stream]
	for _, e := range entries {
		if since, ok := held[e.id]; ok {
			delete(held, e.id)
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
	for id, since := range f.set[stream] {
		if since.Before(cutoff) {
			ids = append(ids, id)
		}
	}
	return ids
}

// touch records that the entries of stream still held were refreshed at t.
func (f *inflight) touch(stream string, t time.Time, ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := f.set[stream]
	for _, id := range ids {
		if _, ok := held[id]; ok {
			held[id] = t
		}
	}
}
