package redisstream

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// typedUnit returns a job of stream with one entry per type, IDs
// "<stream>-<i>".
func typedUnit(stream string, types ...string) job {
	u := job{stream: stream}
	for i, t := range types {
		u.entries = append(u.entries, entry{id: fmt.Sprintf("%s-%d", stream, i), values: map[string]any{"type": t}, attempts: 1})
	}
	return u
}

// testLimits batches type "row" by 3 within 10ms and `json:"doc"`-encoded
// type "doc" by 2 within 1s.
func testLimits(t string) (dispatcher.BatchLimits, bool) {
	switch t {
	case "row":
		return dispatcher.BatchLimits{MaxBatch: 3, MaxWait: 10 * time.Millisecond}, true
	case "doc":
		return dispatcher.BatchLimits{MaxBatch: 2, MaxWait: time.Second}, true
	}
	return dispatcher.BatchLimits{}, false
}

// policyClock is a settable clock for a batch policy.
type policyClock struct{ t time.Time }

func (c *policyClock) now() time.Time { return c.t }

func newTestBatchPolicy(limit int) (*batchPolicy, *policyClock) {
	c := &policyClock{t: time.Unix(1000, 0)}
	p := newBatchPolicy(4, limit, testLimits)
	p.now = c.now
	return p, c
}

// drainNext returns the IDs of every job next gives at now, and whether
// each is a batch.
func drainNext(p *batchPolicy, now time.Time) (got [][]string, batch []bool) {
	for {
		u, ok := p.next(now)
		if !ok {
			return got, batch
		}
		got, batch = append(got, ids(u.entries)), append(batch, u.batch)
	}
}

func TestBatchPolicyGathersByStreamAndType(t *testing.T) {
	p, clock := newTestBatchPolicy(100)
	p.push(typedUnit("a", "row", "x", "row", `json:"doc"`, "row", "row"))
	p.push(typedUnit("b", "row", "doc"))
	if got := p.held(); got != 8 {
		t.Fatalf("held %d, want 8", got)
	}
	steps := []struct {
		after time.Duration // since the start
		units [][]string
		batch []bool
	}{
		// The plain entry and the full batch of rows of a, in turn; the
		// rest waits to fill.
		{0, [][]string{{"a-1"}, {"a-0", "a-2", "a-4"}}, []bool{false, true}},
		// The rows' MaxWait passed: the partial batches of rows run.
		{10 * time.Millisecond, [][]string{{"a-5"}, {"b-0"}}, []bool{true, true}},
		{999 * time.Millisecond, nil, nil},
		// The docs' MaxWait passed.
		{time.Second, [][]string{{"a-3"}, {"b-1"}}, []bool{true, true}},
	}
	start := clock.t
	for _, st := range steps {
		clock.t = start.Add(st.after)
		got, batch := drainNext(p, clock.t)
		if !slices.EqualFunc(got, st.units, slices.Equal) || !slices.Equal(batch, st.batch) {
			t.Errorf("at +%v: units %v (batch %v), want %v (batch %v)", st.after, got, batch, st.units, st.batch)
		}
		if w := p.wake(); st.after == 0 && !w.Equal(start.Add(10*time.Millisecond)) {
			t.Errorf("wake %v, want the rows' MaxWait after the start", w)
		}
	}
	if p.held() != 0 || !p.wake().IsZero() {
		t.Errorf("held %d, wake %v after everything ran, want 0 and zero", p.held(), p.wake())
	}
}

func TestBatchPolicyFullAndDrain(t *testing.T) {
	p, clock := newTestBatchPolicy(10) // reads of 4: full above 6 held
	p.push(typedUnit("a", "row", "row", "row", "row"))
	if p.full() {
		t.Errorf("full with %d held, want not full up to 6", p.held())
	}
	p.push(typedUnit("b", "x", "doc", "x"))
	if !p.full() {
		t.Errorf("not full with %d held", p.held())
	}
	if u, _ := p.next(clock.t); ids(u.entries)[0] != "b-0" || p.full() {
		t.Errorf("first job %v, full %v: want the plain b-0, then room", ids(u.entries), p.full())
	}
	p.push(typedUnit("c", "row"))
	var drained []string
	for _, u := range p.drain() {
		drained = append(drained, ids(u.entries)...)
	}
	slices.Sort(drained)
	if want := []string{"a-0", "a-1", "a-2", "a-3", "b-1", "b-2", "c-0"}; !slices.Equal(drained, want) {
		t.Errorf("drained %v, want %v", drained, want)
	}
	if p.held() != 0 {
		t.Errorf("held %d after drain", p.held())
	}
}

func TestEntryType(t *testing.T) {
	for raw, want := range map[any]string{"row": "row", `json:"row"`: "row", "json:5": "", "json:{": "", nil: "", 5: ""} {
		if got := entryType(entry{values: map[string]any{"type": raw}}); got != want {
			t.Errorf("entryType(%v) = %q, want %q", raw, got, want)
		}
	}
}
