package redisstream

import "testing"

// TestKeySlot checks the slot computation against values of the Redis
// Cluster specification and CLUSTER KEYSLOT.
func TestKeySlot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key  string
		slot int
	}{
		{"123456789", 0x31C3}, // the CRC16 check value of the specification
		{"{user1000}.following", keySlot("user1000")},
		{"foo{}{bar}", keySlot("foo{}{bar}")},
		{"foo{{bar}}zap", keySlot("{bar")},
		{"foo{bar}{zap}", keySlot("bar")},
		{"{orders}", 105}, // slots the cluster tests rely on
		{"audit-log", 15749},
	} {
		if got := keySlot(tc.key); got != tc.slot {
			t.Errorf("keySlot(%q) = %d, want %d", tc.key, got, tc.slot)
		}
	}
}

// TestDedupKeySlot checks that the dedup key of a stream, whatever its
// braces, hashes to the stream's slot (internal/clustertest checks more
// names against a cluster).
func TestDedupKeySlot(t *testing.T) {
	t.Parallel()
	for _, stream := range []string{"plain", "{t}", "a{}b{c}", "a}b", "", "x{{y}}"} {
		key := slotKeyPrefix(stream) + dedupKeyInfix + "120000:1}{"
		if keySlot(key) != keySlot(stream) {
			t.Errorf("DedupKey(%q) = %q: slot %d, stream slot %d", stream, key, keySlot(key), keySlot(stream))
		}
	}
}
