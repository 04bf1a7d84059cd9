package redisstream

import (
	"runtime"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// TestRecyclerReusesZeroedArrays: an array put back is handed out again for
// a job of its size class, zeroed, and survives a garbage collection (a
// sync.Pool would have dropped it).
func TestRecyclerReusesZeroedArrays(t *testing.T) {
	r := newRecycler(4)
	h := r.get(3)
	if len(h) != 3 || cap(h) != 4 {
		t.Fatalf("get(3): len %d cap %d, want 3 and 4 (its size class)", len(h), cap(h))
	}
	for i := range h {
		h[i].msg.ID = "1-0"
		h[i].out = dispatcher.Outcome{Action: dispatcher.DeadLetter}
		h[i].rejected = true
	}
	r.put(h)
	runtime.GC()
	again := r.get(4)
	if &again[0] != &h[0] {
		t.Fatal("get(4) after put of a 4-array allocated a new array")
	}
	for i := range again {
		if h := &again[i]; h.msg.ID != "" || h.out.Action != 0 || h.rejected {
			t.Fatalf("outcome %d of a reused array is not zero: %+v", i, again[i])
		}
	}
	if one := r.get(1); cap(one) != 1 {
		t.Fatalf("get(1): cap %d, want 1", cap(one))
	}
}

// TestRecyclerBounds: a recycler keeps at most its bound of arrays of a
// class, and never an array above the largest class.
func TestRecyclerBounds(t *testing.T) {
	r := newRecycler(1) // keeps 2*1>>0+2 = 4 arrays of one entry
	var ones [][]handled
	for range 6 {
		ones = append(ones, r.get(1))
	}
	for _, h := range ones {
		r.put(h)
	}
	if n := len(r.free[0]); n != 4 {
		t.Fatalf("%d arrays of one kept, want 4", n)
	}
	big := r.get(1<<sizeClasses + 1)
	r.put(big)
	for c := range r.free {
		for range len(r.free[c]) {
			if h := <-r.free[c]; cap(h) == cap(big) {
				t.Fatal("an array above the largest size class was kept")
			}
		}
	}
}
