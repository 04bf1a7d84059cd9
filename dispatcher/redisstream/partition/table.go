package partition

import (
	"slices"
	"strconv"
	"time"
)

// The partition table, c.parts, is changed by the loop only, under c.mu,
// so that Holds and Status can read it from other goroutines.

// snapshot returns a copy of the partition table.
func (c *Coordinator) snapshot() []part {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.parts)
}

// update applies f to partition i, under c.mu, and lists in the status
// the partitions owned now: a change of ownership shows in Status at once,
// not at the next check.
func (c *Coordinator) update(i int, f func(*part)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.parts[i])
	c.status.Owned = c.ownedLocked()
}

// count returns the number of partitions in any of states.
func (c *Coordinator) count(states ...ownership) int {
	n := 0
	for _, p := range c.snapshot() {
		if slices.Contains(states, p.state) {
			n++
		}
	}
	return n
}

// nextDeadline returns how long until the earliest local lease deadline,
// or LeaseTTL when no lease is held.
func (c *Coordinator) nextDeadline(now time.Time) time.Duration {
	d := c.cfg.LeaseTTL
	for _, p := range c.snapshot() {
		if p.state == held || p.state == revoking {
			d = min(d, p.until.Sub(now))
		}
	}
	return max(d, 0)
}

// record stores the outcome of a check in the status.
func (c *Coordinator) record(members, owners []string, changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Members = members
	c.status.Unowned = c.status.Unowned[:0:0]
	for i, o := range owners {
		if o == "" {
			c.status.Unowned = append(c.status.Unowned, i)
		}
	}
	c.status.Owned = c.ownedLocked()
	c.status.At = time.Now()
	switch {
	case len(c.status.Unowned) == 0:
		c.status.UnownedSince = time.Time{}
	case c.status.UnownedSince.IsZero():
		c.status.UnownedSince = c.status.At
	}
	if changed {
		c.status.Rebalances++
	}
}

// ownedLocked returns the partitions held or being revoked; c.mu is held.
func (c *Coordinator) ownedLocked() []int {
	var out []int
	for i, p := range c.parts {
		if p.state == held || p.state == revoking {
			out = append(out, i)
		}
	}
	return out
}

// formatLease returns the value of a lease key: "<token> <consumer>".
func formatLease(token int64, consumer string) string {
	return strconv.FormatInt(token, 10) + " " + consumer
}
