package partition

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/streamfx/streamfx/dispatcher"
)

// MaxPartitions is the largest partition count a Stream accepts: each
// partition needs a quarter of a slot range of its own (see New), and at
// most a few hundred partitions are useful for one stream anyway.
const MaxPartitions = 256

// Stream is a partitioned stream: a logical name split into a fixed number
// of partitions, each its own Redis stream. The zero value is not usable;
// build one with New. A Stream is an immutable value, safe to share.
//
// Partition i of the logical stream "orders" is the Redis stream
// "orders:{orders-<i>-<n>}", whose hash tag "orders-<i>-<n>" takes the
// smallest n >= 0 that puts the partition's hash slot in the middle half of
// the i-th of P equal slot ranges: 4*slot*P/16384 (integer division) is
// 4i+1 or 4i+2. A Redis Cluster whose masters own contiguous, equal slot
// ranges, as redis-cli --cluster create and --cluster rebalance leave them,
// therefore holds about P/masters partitions on each master: with 12
// partitions and 3 masters, partitions 0-3 live on the first, 4-7 on the
// second, 8-11 on the third, and a master's range may be off by a quarter
// of a partition's range without changing that. Every other key of a
// partition (its dead-letter stream, leases, fencing tokens) carries the
// same hash tag, so it lives in the partition's slot, where one Lua script
// can touch them together.
type Stream struct {
	name string
	keys []string // the Redis stream of each partition
}

// New returns the partitioned stream name with partitions partitions. name
// must not be empty nor contain "{" or "}" (the partitions' keys carry their
// own hash tags); partitions is between 1 and MaxPartitions. The names
// depend only on name and partitions, so every process computes the same.
func New(name string, partitions int) (Stream, error) {
	switch {
	case name == "" || strings.ContainsAny(name, "{}"):
		return Stream{}, fmt.Errorf("%w: stream name %q is empty or has a brace", ErrInvalid, name)
	case partitions < 1 || partitions > MaxPartitions:
		return Stream{}, fmt.Errorf("%w: %d partitions, want 1 to %d", ErrInvalid, partitions, MaxPartitions)
	}
	s := Stream{name: name, keys: make([]string, partitions)}
	for i := range s.keys {
		s.keys[i] = name + ":{" + tag(name, i, partitions) + "}"
	}
	return s, nil
}

// tag returns the hash tag of partition i of name: name-i-n with the
// smallest n whose slot lies in the middle half of the i-th of partitions
// equal slot ranges. Such an n exists and is small: a quarter range holds
// at least 16 slots, and CRC16 spreads consecutive n over the slots.
func tag(name string, i, partitions int) string {
	prefix := name + "-" + strconv.Itoa(i) + "-"
	for n := 0; ; n++ {
		t := prefix + strconv.Itoa(n)
		if q := 4 * Slot(t) * partitions / Slots; q == 4*i+1 || q == 4*i+2 {
			return t
		}
	}
}

// Name returns the logical name of the stream.
func (s Stream) Name() string { return s.name }

// Partitions returns the number of partitions.
func (s Stream) Partitions() int { return len(s.keys) }

// Key returns the Redis stream key of partition i, such as
// "orders:{orders-3-17}". It panics if i is out of range.
func (s Stream) Key(i int) string { return s.keys[i] }

// Keys returns the Redis stream keys of every partition, in partition
// order, in a new slice.
func (s Stream) Keys() []string { return append([]string(nil), s.keys...) }

// DeadLetter returns the dead-letter stream of partition i:
// dispatcher.DeadLetterStream of its key, "orders:{orders-3-17}:dead", in
// the partition's slot.
func (s Stream) DeadLetter(i int) string { return dispatcher.DeadLetterStream(s.keys[i]) }

// For returns the partition of an event key (see Of).
func (s Stream) For(key string) int { return Of(key, len(s.keys)) }

// leaseKey returns the key of the ownership lease of partition i for the
// consumer group group, in the partition's slot.
func (s Stream) leaseKey(i int, group string) string { return s.keys[i] + ":lease:" + group }

// tokenKey returns the key of the fencing token counter of partition i for
// group, in the partition's slot.
func (s Stream) tokenKey(i int, group string) string { return s.keys[i] + ":token:" + group }

// membersKey returns the key of the membership set of group: a sorted set
// of consumer names scored by the time their heartbeat expires.
func (s Stream) membersKey(group string) string { return s.name + ":members:" + group }
