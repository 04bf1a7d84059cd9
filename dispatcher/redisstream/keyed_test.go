package redisstream

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// step is one operation on a keyed[string] whose values are the entry IDs.
type step struct {
	op   string // offer, next, done, retry, due, drain
	key  string
	id   string        // offer: the entry; next: the entry expected ("" none)
	at   time.Duration // retry: retry time; due: now (from t0)
	ok   bool          // offer: expected result
	want []string      // drain: expected entries, sorted
}

var t0 = time.Unix(1_700_000_000, 0)

func offer(key, id string, ok bool) step { return step{op: "offer", key: key, id: id, ok: ok} }
func next(id string) step                { return step{op: "next", id: id} }
func done(key string) step               { return step{op: "done", key: key} }
func retryAt(key string, at time.Duration) step {
	return step{op: "retry", key: key, at: at}
}
func dueAt(at time.Duration) step { return step{op: "due", at: at} }
func drained(want ...string) step { return step{op: "drain", want: want} }
func nothing() step               { return next("") }
func offerAll(key string, ids ...string) []step {
	var s []step
	for _, id := range ids {
		s = append(s, offer(key, id, true))
	}
	return s
}

// TestKeyed runs scripts of operations on a keyed state with limit 2,
// per-key cap 3 and total cap 5.
func TestKeyed(t *testing.T) {
	tests := []struct {
		name  string
		steps [][]step
	}{
		{"one key runs one at a time in ID order", [][]step{
			offerAll("a", "1-0", "2-0", "3-0"),
			{next("1-0"), nothing(), done("a"), next("2-0"), nothing(), done("a"), next("3-0"), done("a"), nothing()},
		}},
		{"keys run concurrently up to the limit", [][]step{
			offerAll("a", "1-0"), offerAll("b", "2-0"), offerAll("c", "3-0"),
			{next("1-0"), next("2-0"), nothing(), done("b"), next("3-0"), nothing()},
		}},
		{"a slow key does not hold back the others", [][]step{
			offerAll("slow", "1-0", "2-0"), offerAll("b", "3-0"), offerAll("c", "4-0"),
			{next("1-0"), next("3-0"), done("b"), next("4-0"), done("c"), nothing(), done("slow"), next("2-0")},
		}},
		{"entries without a key run concurrently, in order offered", [][]step{
			offerAll("", "5-0", "1-0", "3-0"),
			{next("5-0"), next("1-0"), nothing(), done(""), next("3-0")},
		}},
		{"runnable units start in the order they became runnable", [][]step{
			offerAll("a", "1-0", "4-0"), offerAll("", "2-0"), offerAll("b", "3-0"),
			{next("1-0"), done("a"), next("2-0"), next("3-0"), done(""), next("4-0")},
		}},
		{"per-key cap refuses, and a done makes room", [][]step{
			offerAll("a", "1-0", "2-0", "3-0"),
			{offer("a", "4-0", false), offer("b", "5-0", true), next("1-0"), done("a"), offer("a", "4-0", true)},
		}},
		{"total cap counts running and waiting entries", [][]step{
			offerAll("a", "1-0", "2-0"), offerAll("b", "3-0", "4-0"), offerAll("", "5-0"),
			{offer("c", "6-0", false), offer("", "7-0", false), next("1-0"), retryAt("a", time.Second),
				offer("c", "6-0", false), next("3-0"), done("b"), offer("c", "6-0", true)},
		}},
		{"a lower ID goes before waiting entries, not before a started head", [][]step{
			offerAll("a", "5-0", "9-0"),
			{next("5-0"), offer("a", "3-0", true), offer("a", "7-0", false), done("a"), next("3-0"), done("a"), next("9-0")},
		}},
		{"a lower ID becomes the head of a key that has not started", [][]step{
			offerAll("b", "1-0"), offerAll("a", "9-0", "12-0"),
			{offer("a", "2-0", true), offer("a", "10-5", false), next("1-0"), next("2-0"), done("b"), done("a"),
				next("9-0"), offer("a", "10-5", true), done("a"), next("10-5"), done("a"), next("12-0")},
		}},
		{"IDs compare as numbers", [][]step{
			offerAll("a", "10-0", "9-0"), // 9-0 is lower than 10-0
			{next("9-0"), done("a"), next("10-0")},
		}},
		{"a failed head blocks its key until its retry time; other keys go on", [][]step{
			offerAll("a", "1-0", "2-0"), offerAll("b", "3-0"),
			{next("1-0"), retryAt("a", 100*time.Millisecond), next("3-0"), done("b"), nothing(),
				dueAt(99 * time.Millisecond), nothing(), dueAt(100 * time.Millisecond),
				next("1-0+"), nothing(), done("a"), next("2-0")},
		}},
		{"retries come due in time order", [][]step{
			offerAll("a", "1-0"), offerAll("b", "2-0"),
			{next("1-0"), next("2-0"), retryAt("a", 2*time.Second), retryAt("b", time.Second),
				dueAt(3 * time.Second), next("2-0+"), next("1-0+")},
		}},
		{"drain gives back what is queued or waiting, not what runs", [][]step{
			offerAll("a", "1-0", "2-0"), offerAll("b", "3-0", "4-0"), offerAll("", "5-0"),
			{next("1-0"), next("3-0"), retryAt("b", time.Minute), drained("2-0", "3-0+", "4-0", "5-0"),
				nothing(), done("a"), nothing(), offer("a", "6-0", true), offer("c", "7-0", true),
				offer("d", "8-0", true), offer("e", "9-0", true), offer("f", "10-0", true)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newKeyed[string](2, 3, 5)
			for _, steps := range tt.steps {
				for i, s := range steps {
					apply(t, q, i, s)
				}
			}
		})
	}
}

// apply runs one step, failing t when its result is not the one expected.
// A retried entry's value gets a "+" appended.
func apply(t *testing.T, q *keyed[string], i int, s step) {
	t.Helper()
	switch s.op {
	case "offer":
		if got := q.offer(s.key, s.id, t0, s.id); got != s.ok {
			t.Fatalf("step %d: offer(%q, %s) = %v, want %v", i, s.key, s.id, got, s.ok)
		}
	case "next":
		it, ok := q.next()
		if got := map[bool]string{true: it.v}[ok]; got != s.id {
			t.Fatalf("step %d: next = %q, want %q", i, got, s.id)
		}
	case "done":
		q.done(s.key)
	case "retry":
		k := q.keys[s.key]
		q.retry(s.key, t0.Add(s.at), k.items[0].v+"+")
	case "due":
		q.due(t0.Add(s.at))
	case "drain":
		got := q.drain()
		slices.Sort(got)
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d: drain = %q, want %q", i, got, s.want)
		}
	}
}

// TestKeyedRandom drives a keyed state as a scheduler would, with random
// arrivals (IDs out of order within a key now and then, as reclaimed entries
// arrive), random failures and random finishing order, and checks the
// invariants: never more than limit running, never two entries of a key at
// once, the caps hold, and each key's entries finish in ID order among those
// offered before its head started.
func TestKeyedRandom(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkRandomRun(t, rand.New(rand.NewPCG(seed, 1)))
		})
	}
}

func checkRandomRun(t *testing.T, rng *rand.Rand) {
	const limit, perKey, total, n = 4, 5, 16, 2000
	q := newKeyed[string](limit, perKey, total)
	now := t0
	type run struct{ key, id string }
	var running []run
	runningKey := map[string]bool{}
	finished := map[string][]streamID{}
	retried := map[string]int{}
	seq := 0
	var pendingOffer *run
	for produced := 0; produced < n || q.held > 0; {
		now = now.Add(time.Millisecond)
		q.due(now)
		// Offer new entries until refused.
		for produced < n {
			if pendingOffer == nil {
				key := fmt.Sprintf("k%d", rng.IntN(8))
				if rng.IntN(10) == 0 {
					key = ""
				}
				seq++
				id := fmt.Sprintf("%d-0", seq)
				if rng.IntN(20) == 0 && seq > 10 { // an older entry, reclaimed late
					id = fmt.Sprintf("%d-1", seq-rng.IntN(10))
				}
				pendingOffer = &run{key, id}
			}
			if !q.offer(pendingOffer.key, pendingOffer.id, now, pendingOffer.id) {
				break
			}
			pendingOffer = nil
			produced++
		}
		if q.held > total || len(q.keys) > total {
			t.Fatalf("held %d entries, cap %d", q.held, total)
		}
		for _, k := range q.keys {
			if len(k.items) > perKey {
				t.Fatalf("key %s holds %d entries, cap %d", k.key, len(k.items), perKey)
			}
		}
		for {
			it, ok := q.next()
			if !ok {
				break
			}
			if it.key != "" && runningKey[it.key] {
				t.Fatalf("key %s started %s while another of its entries runs", it.key, it.v)
			}
			runningKey[it.key] = it.key != ""
			running = append(running, run{it.key, it.v})
		}
		if len(running) > limit {
			t.Fatalf("%d running, limit %d", len(running), limit)
		}
		if len(running) == 0 {
			continue
		}
		i := rng.IntN(len(running))
		r := running[i]
		running = slices.Delete(running, i, i+1)
		delete(runningKey, r.key)
		if r.key != "" && rng.IntN(10) == 0 && retried[r.id] < 2 {
			retried[r.id]++
			q.retry(r.key, now.Add(time.Duration(rng.IntN(5))*time.Millisecond), r.id)
			continue
		}
		q.done(r.key)
		if r.key != "" {
			finished[r.key] = append(finished[r.key], parseStreamID(r.id))
		}
	}
	count := 0
	for key, ids := range finished {
		count += len(ids)
		// An older entry offered after a younger one of its key started
		// runs after it; any other pair runs in ID order. Count the
		// inversions: only late arrivals may cause them.
		for i := 1; i < len(ids); i++ {
			if ids[i].less(ids[i-1]) && ids[i].seq != 1 {
				t.Fatalf("key %s: %v finished after %v", key, ids[i], ids[i-1])
			}
		}
	}
	if q.held != 0 || q.running != 0 || len(q.keys) != 0 || q.ready.len() != 0 {
		t.Fatalf("left over: held %d running %d keys %d ready %d", q.held, q.running, len(q.keys), q.ready.len())
	}
	if count == 0 {
		t.Fatal("no keyed entry finished")
	}
}

func TestKeyedStats(t *testing.T) {
	q := newKeyed[string](1, 10, 10)
	q.offer("s/a", "1-0", t0, "1-0")
	q.offer("s/a", "2-0", t0.Add(2*time.Second), "2-0")
	q.offer("s/a", "3-0", t0.Add(time.Second), "3-0")
	q.offer("s/b", "4-0", t0.Add(3*time.Second), "4-0")
	q.offer("t/a", "5-0", t0, "5-0")
	q.offer("", "6-0", t0, "6-0")
	if _, ok := q.next(); !ok {
		t.Fatal("nothing runnable")
	}
	got := q.stats(func(key string) string { return key[:1] })
	want := map[string]keyedStats{
		"s": {Keys: 2, Waiting: 2, Oldest: t0.Add(time.Second)},
		"t": {Keys: 1},
	}
	if !maps.Equal(got, want) {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
	if got := newKeyed[string](1, 1, 1).stats(nil); len(got) != 0 {
		t.Fatalf("empty stats = %+v", got)
	}
}

func TestParseStreamID(t *testing.T) {
	tests := []struct {
		a, b string
		less bool
	}{
		{"1-0", "2-0", true},
		{"9-0", "10-0", true},
		{"10-0", "9-0", false},
		{"5-1", "5-10", true},
		{"5-0", "5-0", false},
		{"18446744073709551615-0", "bad", true},
		{"bad", "1-0", false},
	}
	for _, tt := range tests {
		if got := parseStreamID(tt.a).less(parseStreamID(tt.b)); got != tt.less {
			t.Errorf("%s < %s = %v, want %v", tt.a, tt.b, got, tt.less)
		}
	}
}

// TestFIFO pushes and pops across the compaction threshold.
func TestFIFO(t *testing.T) {
	var f fifoQueue[int]
	want := 0
	for i := range 1000 {
		f.push(i)
		if i%3 == 0 {
			v, ok := f.pop()
			if !ok || v != want {
				t.Fatalf("pop = %d, %v, want %d", v, ok, want)
			}
			want++
		}
	}
	for f.len() > 0 {
		v, _ := f.pop()
		if v != want {
			t.Fatalf("pop = %d, want %d", v, want)
		}
		want++
	}
	if _, ok := f.pop(); ok || want != 1000 {
		t.Fatalf("after draining: ok %v, popped %d", ok, want)
	}
}
