package streamtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// Entry names one stream entry. Entry IDs are per stream, so two streams
// (on two cluster masters, say) can hold the same ID.
type Entry struct{ Stream, ID string }

// String returns "stream/id".
func (e Entry) String() string { return e.Stream + "/" + e.ID }

// Entries returns the entries ids of stream, in the order of ids.
func Entries(stream string, ids []string) []Entry {
	out := make([]Entry, len(ids))
	for i, id := range ids {
		out[i] = Entry{stream, id}
	}
	return out
}

// compareEntries orders entries by stream, then ID.
func compareEntries(a, b Entry) int {
	return cmp.Or(cmp.Compare(a.Stream, b.Stream), cmp.Compare(a.ID, b.ID))
}

// Recorder records handler runs: per entry the Attempt of each run, and
// the order of all runs. It is safe for concurrent use; the zero value is
// ready to use.
type Recorder struct {
	mu    sync.Mutex
	runs  map[Entry][]int // the Attempt of each run, in run order
	order []Entry         // every run, repeats included
}

// Handle records msg and returns nil: a dispatcher.HandlerFunc that always
// succeeds.
func (r *Recorder) Handle(_ context.Context, msg *dispatcher.Message) error {
	r.Record(msg)
	return nil
}

// Record records a run of msg, for handlers that decide their own outcome.
func (r *Recorder) Record(msg *dispatcher.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = make(map[Entry][]int)
	}
	e := Entry{msg.Stream, msg.ID}
	r.runs[e] = append(r.runs[e], msg.Attempt)
	r.order = append(r.order, e)
}

// Count returns the number of runs of e.
func (r *Recorder) Count(e Entry) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs[e])
}

// Attempts returns the Attempt of every run of e, in run order.
func (r *Recorder) Attempts(e Entry) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.runs[e])
}

// Runs returns the entries in the order they ran, repeats included.
func (r *Recorder) Runs() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// Handled returns the entries that ran, each once, sorted by stream and ID.
func (r *Recorder) Handled() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Entry, 0, len(r.runs))
	for e := range r.runs {
		out = append(out, e)
	}
	slices.SortFunc(out, compareEntries)
	return out
}

// Len returns the number of distinct entries that ran.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

// Counts returns the number of runs of every entry that ran.
func (r *Recorder) Counts() map[Entry]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Entry]int, len(r.runs))
	for e, runs := range r.runs {
		out[e] = len(runs)
	}
	return out
}

// Duplicates returns the number of runs beyond the first of every entry.
func (r *Recorder) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, runs := range r.runs {
		n += len(runs) - 1
	}
	return n
}

// HandledAll reports whether every entry of want ran at least once.
func (r *Recorder) HandledAll(want []Entry) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range want {
		if len(r.runs[e]) == 0 {
			return false
		}
	}
	return true
}

// ExactlyOnce fails t unless each entry of want ran once and no other
// entry ran.
func (r *Recorder) ExactlyOnce(t testing.TB, want []Entry) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	set := make(map[Entry]bool, len(want))
	for _, e := range want {
		set[e] = true
		if n := len(r.runs[e]); n != 1 {
			t.Errorf("entry %s handled %d times, want 1", e, n)
		}
	}
	var extra []Entry
	for e := range r.runs {
		if !set[e] {
			extra = append(extra, e)
		}
	}
	if len(extra) == 0 {
		return
	}
	slices.SortFunc(extra, compareEntries)
	desc := make([]string, len(extra))
	for i, e := range extra {
		desc[i] = fmt.Sprintf("%s (%d runs)", e, len(r.runs[e]))
	}
	t.Errorf("%d entries handled that were not expected: %v", len(extra), desc)
}
