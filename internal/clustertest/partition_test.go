package clustertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// TestClusterPartitionsSpread checks the partition naming on a real
// 3-master cluster: partition.Slot agrees with CLUSTER KEYSLOT, a
// partition's dead-letter stream shares its slot, the 12 partitions of a
// stream land on all 3 masters (4 each, since redis-cli gives the masters
// equal contiguous slot ranges), and a PartitionedPublisher writes every
// event to the master of its key's partition.
func TestClusterPartitionsSpread(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		p, perMst int
	}{{"orders", 12, 4}, {"payments", 3, 1}, {"tenant.events", 24, 8}} {
		s, err := partition.New(c.name, c.p)
		if err != nil {
			t.Fatal(err)
		}
		perNode := make(map[string][]int)
		for i := range c.p {
			if got, want := int64(partition.Slot(s.Key(i))), slotOf(t, rdb, s.Key(i)); got != want {
				t.Errorf("partition.Slot(%q) = %d, CLUSTER KEYSLOT says %d", s.Key(i), got, want)
			}
			if a, b := slotOf(t, rdb, s.Key(i)), slotOf(t, rdb, s.DeadLetter(i)); a != b {
				t.Errorf("%s in slot %d, its dead letters %s in slot %d", s.Key(i), a, s.DeadLetter(i), b)
			}
			n := nodeOf(t, rdb, s.Key(i))
			perNode[n] = append(perNode[n], i)
		}
		t.Logf("%s, %d partitions: per master %v", c.name, c.p, perNode)
		if len(perNode) != 3 {
			t.Errorf("%s: %d partitions on %d masters, want all 3: %v", c.name, c.p, len(perNode), perNode)
		}
		for _, node := range slices.Sorted(maps.Keys(perNode)) {
			if len(perNode[node]) != c.perMst {
				t.Errorf("%s: master %s holds partitions %v, want %d", c.name, node, perNode[node], c.perMst)
			}
		}
	}

	s, err := partition.New("orders", 12)
	if err != nil {
		t.Fatal(err)
	}
	pub := redisstream.NewPartitionedPublisher(redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), s)
	var batch []redisstream.KeyedEvent
	for k := range 120 {
		batch = append(batch, redisstream.KeyedEvent{Key: fmt.Sprintf("key-%d", k), Type: "e",
			Payload: map[string]any{"key": fmt.Sprintf("key-%d", k)}})
	}
	if _, err := pub.PublishBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range 12 {
		for _, m := range entries(t, rdb, s.Key(i)) {
			if got := s.For(m.Values["key"].(string)); got != i {
				t.Errorf("event of key %v in partition %d, want %d", m.Values["key"], i, got)
			}
			total++
		}
	}
	if total != len(batch) {
		t.Errorf("the partitions hold %d events, want %d", total, len(batch))
	}
}
