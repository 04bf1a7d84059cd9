package redisstream

import (
	"testing"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// TestDedupKeySlot checks that the dedup key of a stream, whatever its
// braces, hashes to the stream's slot (internal/clustertest checks more
// names against a cluster).
func TestDedupKeySlot(t *testing.T) {
	t.Parallel()
	for _, stream := range []string{"plain", "{t}", "a{}b{c}", "a}b", "", "x{{y}}"} {
		key := slotKeyPrefix(stream) + dedupKeyInfix + "120000:1}{"
		if partition.Slot(key) != partition.Slot(stream) {
			t.Errorf("DedupKey(%q) = %q: slot %d, stream slot %d", stream, key, partition.Slot(key), partition.Slot(stream))
		}
	}
}
