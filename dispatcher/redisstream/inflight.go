package redisstream

import "sync"

// entryKey names one stream entry.
type entryKey struct{ stream, id string }

// inflight is the set of entries this process holds: read or claimed, and
// neither acknowledged nor given back. The reclaim loop skips them, so that a
// slow handler's entry, or one whose ack waits for Redis to come back, is
// not run twice by this process.
type inflight struct {
	mu  sync.Mutex
	set map[entryKey]struct{}
}

func newInflight() *inflight { return &inflight{set: make(map[entryKey]struct{})} }

// claim adds the entries not yet held and reports, for each, whether it was
// added.
func (f *inflight) claim(stream string, ids []string) []bool {
	added := make([]bool, len(ids))
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, id := range ids {
		k := entryKey{stream, id}
		if _, held := f.set[k]; !held {
			f.set[k] = struct{}{}
			added[i] = true
		}
	}
	return added
}

// release removes entries from the set.
func (f *inflight) release(stream string, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		delete(f.set, entryKey{stream, id})
	}
}
