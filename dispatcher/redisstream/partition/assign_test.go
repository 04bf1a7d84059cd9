package partition

import (
	"fmt"
	"maps"
	"slices"
	"testing"
)

// TestAssign checks the assignment of P partitions over members from the
// current owners: every partition assigned once, each member holding
// ⌊P/n⌋ or ⌈P/n⌉, and no more partitions moving than balance needs.
func TestAssign(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       int
		members []string
		owners  []string
		want    map[string][]int
	}{
		{name: "fresh, 12 over 3", p: 12, members: []string{"a", "b", "c"}, owners: make([]string, 12),
			want: map[string][]int{"a": {0, 3, 6, 9}, "b": {1, 4, 7, 10}, "c": {2, 5, 8, 11}}},
		{name: "a fourth joins", p: 12, members: []string{"a", "b", "c", "d"},
			owners: []string{"a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"},
			want:   map[string][]int{"a": {0, 3, 6}, "b": {1, 4, 7}, "c": {2, 5, 8}, "d": {9, 10, 11}}},
		{name: "b dies", p: 12, members: []string{"a", "c"},
			owners: []string{"a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"},
			want:   map[string][]int{"a": {0, 1, 3, 6, 7, 9}, "c": {2, 4, 5, 8, 10, 11}}},
		{name: "extra partitions stay with who holds most", p: 5, members: []string{"a", "b"},
			owners: []string{"b", "b", "b", "a", ""},
			want:   map[string][]int{"a": {3, 4}, "b": {0, 1, 2}}},
		{name: "more members than partitions", p: 2, members: []string{"a", "b", "c"}, owners: []string{"c", ""},
			want: map[string][]int{"a": {1}, "b": nil, "c": {0}}},
		{name: "no members", p: 3, owners: make([]string, 3), want: map[string][]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assign(tt.p, tt.members, tt.owners)
			if len(got) != len(tt.want) {
				t.Fatalf("assign = %v, want %v", got, tt.want)
			}
			for m, want := range tt.want {
				if !slices.Equal(got[m], want) {
					t.Errorf("member %s gets %v, want %v (all: %v)", m, got[m], want, got)
				}
			}
		})
	}
}

// TestAssignProperties checks balance, completeness and stickiness over
// many member counts and starting owners.
func TestAssignProperties(t *testing.T) {
	t.Parallel()
	for p := 1; p <= 40; p += 3 {
		for n := 1; n <= 7; n++ {
			members := make([]string, n)
			for i := range members {
				members[i] = fmt.Sprintf("m%d", i)
			}
			owners := make([]string, p)
			for i := range owners {
				owners[i] = fmt.Sprintf("m%d", (i*7+3)%(n+2)) // some owners dead
			}
			got := assign(p, members, owners)
			seen := make([]int, p)
			for _, m := range slices.Sorted(maps.Keys(got)) {
				if c := len(got[m]); c != p/n && c != (p+n-1)/n {
					t.Fatalf("p=%d n=%d: %s holds %d partitions, want %d or %d", p, n, m, c, p/n, (p+n-1)/n)
				}
				for _, i := range got[m] {
					seen[i]++
				}
			}
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("p=%d n=%d: partition %d assigned %d times", p, n, i, c)
				}
			}
			// Assigning again from the result moves nothing.
			again := make([]string, p)
			for m, parts := range got {
				for _, i := range parts {
					again[i] = m
				}
			}
			if second := assign(p, members, again); !maps.EqualFunc(second, got, slices.Equal) {
				t.Fatalf("p=%d n=%d: assign is not stable: %v then %v", p, n, got, second)
			}
		}
	}
}
