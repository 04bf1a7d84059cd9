package redisstream

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// testKeyedPolicy returns a keyed policy ordered by field "k", 2 workers,
// MaxDeliveries 3.
func testKeyedPolicy(t *testing.T) *keyedPolicy {
	cfg, err := ProcessorConfig{Streams: []string{"s"}, Group: "g", Concurrency: 2, BatchSize: 4,
		MaxDeliveries: 3, OrderKey: "k"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return newKeyedPolicy(cfg, zap.NewNop())
}

func keyedEntry(id, key string) entry {
	v := map[string]any{"type": "t"}
	if key != "" {
		v["k"] = key
	}
	return entry{id: id, values: v, attempts: 1}
}

// ran returns the result of j whose single entry ran with outcome o.
func ran(j job, o dispatcher.Outcome) *result {
	e := j.entries[0]
	msg := dispatcher.NewMessage(j.stream, e.id, map[string]string{})
	msg.Attempt = e.attempts
	return &result{job: j, done: []handled{{msg: *msg, out: o}}}
}

func mustNext(t *testing.T, p *keyedPolicy, now time.Time, wantID string) job {
	t.Helper()
	j, ok := p.next(now)
	if !ok || j.entries[0].id != wantID {
		t.Fatalf("next = %v %v, want %s", j.entries, ok, wantID)
	}
	return j
}

// retryTime returns the time of the next retry in place.
func retryTime(t *testing.T, p *keyedPolicy) time.Time {
	t.Helper()
	at, ok := p.q.nextRetry()
	if !ok {
		t.Fatal("no retry waits")
	}
	return at
}

var (
	errFlaky = errors.New("flaky")
	errGone  = dispatcher.Permanent(errors.New("gone"))
)

// TestKeyedPolicyRetryInPlace: a failed entry of a key runs again after a
// backoff, in place, only its failed retryable routes, with the next
// attempt, while its key waits and other keys go on; its permanent failures
// are dead-lettered with the final outcome.
func TestKeyedPolicyRetryInPlace(t *testing.T) {
	p := testKeyedPolicy(t)
	now := t0
	p.push(job{stream: "s", entries: []entry{keyedEntry("1-0", "a"), keyedEntry("2-0", "a"), keyedEntry("3-0", "b")}})
	j := mustNext(t, p, now, "1-0")
	if !j.inPlace {
		t.Fatal("an entry with a key must run in place")
	}
	fail := dispatcher.Outcome{Action: dispatcher.Retry, Failures: []dispatcher.RouteFailure{
		{Route: "r1", Err: errFlaky}, {Route: "r2", Err: errGone}}}
	if p.done(ran(j, fail), now) {
		t.Fatal("a failed first run was let go to the settler")
	}
	at := retryTime(t, p)
	if lo, hi := now.Add(80*time.Millisecond), now.Add(120*time.Millisecond); at.Before(lo) || at.After(hi) {
		t.Fatalf("retry %v after the failure, want 100ms +-20%%", at.Sub(now))
	}
	mustNext(t, p, now, "3-0") // another key goes on
	if j, ok := p.next(now); ok {
		t.Fatalf("next = %v while key a waits for its retry", j.entries)
	}
	j = mustNext(t, p, at, "1-0")
	if e := j.entries[0]; e.attempts != 2 || !slices.Equal(e.routes, []string{"r1"}) {
		t.Fatalf("second run: attempt %d routes %q, want 2 [r1]", e.attempts, e.routes)
	}
	if !p.done(ran(j, dispatcher.Outcome{Action: dispatcher.Ack, Handled: 1}), at) {
		t.Fatal("a successful retry was kept")
	}
	mustNext(t, p, at, "2-0")
}

// TestKeyedPolicyFinalOutcome checks what done hands to the settler.
func TestKeyedPolicyFinalOutcome(t *testing.T) {
	p := testKeyedPolicy(t)
	now := t0
	p.push(job{stream: "s", entries: []entry{keyedEntry("1-0", "a"), keyedEntry("2-0", "a")}})
	j := mustNext(t, p, now, "1-0")
	p.done(ran(j, dispatcher.Outcome{Action: dispatcher.Retry, Failures: []dispatcher.RouteFailure{
		{Route: "r1", Err: errFlaky}, {Route: "r2", Err: errGone}}}), now)
	now = retryTime(t, p)
	j = mustNext(t, p, now, "1-0")
	// Run 2 succeeds: the permanent failure of run 1 makes it a dead letter.
	r := ran(j, dispatcher.Outcome{Action: dispatcher.Ack, Handled: 1})
	if !p.done(r, now) {
		t.Fatal("kept")
	}
	if o := r.done[0].out; o.Action != dispatcher.DeadLetter || len(o.Failures) != 1 || o.Failures[0].Route != "r2" {
		t.Fatalf("final outcome %+v, want a dead letter for r2", o)
	}
	// Entry 2 fails on every run: on run 3 (MaxDeliveries) it is let go
	// as a Retry, which the settler dead-letters.
	for run := 1; run <= 3; run++ {
		j = mustNext(t, p, now, "2-0")
		if j.entries[0].attempts != run {
			t.Fatalf("run %d has attempt %d", run, j.entries[0].attempts)
		}
		r = ran(j, dispatcher.Outcome{Action: dispatcher.Retry, Failures: []dispatcher.RouteFailure{{Route: "r1", Err: errFlaky}}})
		if kept := !p.done(r, now); kept != (run < 3) {
			t.Fatalf("run %d kept = %v", run, kept)
		}
		if run < 3 {
			now = retryTime(t, p)
		}
	}
	if p.held() != 0 || len(p.q.keys) != 0 {
		t.Fatalf("held %d, keys %d after the last entry", p.held(), len(p.q.keys))
	}
}

// TestKeyedPolicyUnkeyed: an entry without the key field runs like FIFO:
// through Process, settled whatever its outcome.
func TestKeyedPolicyUnkeyed(t *testing.T) {
	p := testKeyedPolicy(t)
	p.push(job{stream: "s", entries: []entry{keyedEntry("1-0", ""), keyedEntry("2-0", "")}})
	j := mustNext(t, p, t0, "1-0")
	mustNext(t, p, t0, "2-0")
	if j.inPlace {
		t.Fatal("an entry without a key runs in place")
	}
	if !p.done(ran(j, dispatcher.Outcome{Action: dispatcher.Retry, Failures: []dispatcher.RouteFailure{{Err: errFlaky}}}), t0) {
		t.Fatal("an entry without a key was kept for a retry in place")
	}
}

// TestKeyedPolicyBackpressure: a batch beyond the caps waits in order, the
// policy reports full, and drain returns everything not running.
func TestKeyedPolicyBackpressure(t *testing.T) {
	cfg, err := ProcessorConfig{Streams: []string{"s", "t"}, Group: "g", Concurrency: 1, BatchSize: 3,
		OrderKey: "k", OrderBuffer: 3, OrderKeyBuffer: 2}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	p := newKeyedPolicy(cfg, zap.NewNop())
	p.push(job{stream: "s", entries: []entry{keyedEntry("1-0", "a"), keyedEntry("2-0", "a"), keyedEntry("3-0", "a")}})
	if !p.full() || p.held() != 3 {
		t.Fatalf("full %v held %d, want true 3: key a holds 2, its third waits", p.full(), p.held())
	}
	j := mustNext(t, p, t0, "1-0")
	p.done(ran(j, dispatcher.Outcome{}), t0)
	if p.full() {
		t.Fatal("still full once the third entry of a fits")
	}
	// The same key value in another stream is another key.
	p.push(job{stream: "t", entries: []entry{keyedEntry("1-0", "a")}})
	mustNext(t, p, t0, "2-0")
	got := p.drain()
	var ids []string
	for _, u := range got {
		for _, e := range u.entries {
			ids = append(ids, u.stream+"/"+e.id)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"s/3-0", "t/1-0"}) {
		t.Fatalf("drain = %q, want s/3-0 t/1-0", ids)
	}
}

// TestOrderKeyFunc: the function form overrides the field, and a panic
// gives no key.
func TestOrderKeyFunc(t *testing.T) {
	cfg := ProcessorConfig{OrderKey: "k", OrderKeyFunc: func(m *dispatcher.Message) string {
		if m.ID == "9-0" {
			panic("no key here")
		}
		return m.Fields["other"]
	}}
	keyOf := orderKeyOf(cfg, zap.NewNop())
	e := entry{id: "1-0", values: map[string]any{"k": "x", "other": "y"}}
	if got := keyOf("s", e); got != "s\x00y" {
		t.Errorf("key = %q, want the function's, scoped to s", got)
	}
	e.id = "9-0"
	if got := keyOf("s", e); got != "" {
		t.Errorf("key after a panic = %q, want none", got)
	}
	cfg.OrderKeyFunc = nil
	keyOf = orderKeyOf(cfg, zap.NewNop())
	if got := keyOf("s", e); got != "s\x00x" {
		t.Errorf("field key = %q", got)
	}
	if got := keyOf("s", entry{values: map[string]any{"k": ""}}); got != "" {
		t.Errorf("empty field key = %q, want none", got)
	}
}
