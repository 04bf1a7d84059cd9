package partition

import (
	"cmp"
	"slices"
)

// assign returns the partitions each live member should hold: a balanced
// and sticky assignment, the same in every process that sees the same
// members and owners. members are the live consumers, sorted; owners[i] is
// the consumer holding partition i's lease, or "" if none does.
//
// Balanced: with n members each gets ⌊P/n⌋ or ⌈P/n⌉ partitions; the extra
// ones go to the members holding the most partitions (ties by name), so
// fewer partitions move. Sticky: a member keeps the partitions it holds,
// the lowest-numbered first, up to its quota. The rest (partitions of dead
// or over-quota members, and free ones) are dealt round-robin, in
// partition order, over the members with room, in name order.
func assign(partitions int, members, owners []string) map[string][]int {
	n := len(members)
	if n == 0 {
		return nil
	}
	held := make(map[string][]int, n)
	for _, m := range members {
		held[m] = nil
	}
	for i, o := range owners {
		if h, live := held[o]; live {
			held[o] = append(h, i)
		}
	}
	byLoad := slices.Clone(members)
	slices.SortStableFunc(byLoad, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(held[b]), len(held[a])), cmp.Compare(a, b))
	})
	quota := make(map[string]int, n)
	for k, m := range byLoad {
		quota[m] = partitions / n
		if k < partitions%n {
			quota[m]++
		}
	}
	out := make(map[string][]int, n)
	taken := make([]bool, partitions)
	for _, m := range members {
		keep := held[m][:min(len(held[m]), quota[m])]
		out[m] = append([]int(nil), keep...)
		for _, i := range keep {
			taken[i] = true
		}
	}
	k := 0
	for i := range partitions {
		if taken[i] {
			continue
		}
		for len(out[members[k%n]]) >= quota[members[k%n]] {
			k++
		}
		out[members[k%n]] = append(out[members[k%n]], i)
		k++
	}
	for _, m := range members {
		slices.Sort(out[m])
	}
	return out
}
