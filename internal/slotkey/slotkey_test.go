package slotkey

import (
	"testing"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// TestPrefixSlot checks that a key made of a stream's prefix and anything
// hashes to the stream's slot (internal/clustertest checks more names
// against a cluster).
func TestPrefixSlot(t *testing.T) {
	t.Parallel()
	var c Cache
	for _, stream := range []string{"plain", "{t}", "a{}b{c}", "a}b", "", "x{{y}}"} {
		for _, p := range []string{Prefix(stream), c.Prefix(stream), c.Prefix(stream)} {
			key := p + ":dedup:120000:1}{"
			if partition.Slot(key) != partition.Slot(stream) {
				t.Errorf("stream %q: key %q in slot %d, stream in slot %d", stream, key, partition.Slot(key), partition.Slot(stream))
			}
		}
	}
}
