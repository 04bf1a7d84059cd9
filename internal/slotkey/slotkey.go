// Package slotkey names the keys that must share a stream's Redis Cluster
// hash slot (the Publisher's dedup hashes, the Processor's completion
// markers), whatever braces the stream name holds.
package slotkey

import (
	"strconv"
	"strings"
	"sync"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// Prefix returns a key prefix with the hash slot of stream:
//   - a stream with a hash tag ("{orders}", "shop{eu}:orders") is its own
//     prefix, which keeps its tag;
//   - a stream without one becomes the tag: "orders" gives "{orders}";
//   - a stream without a tag whose name holds a "}" (or the empty name),
//     which cannot be a tag, gets the first tag "dedup-<n>" whose slot is
//     the stream's, followed by the stream: "{dedup-<n>}a}b" (a search of
//     16384 tries on average, about a millisecond: see Cache).
func Prefix(stream string) string {
	if p, ok := tagPrefix(stream); ok {
		return p
	}
	return searchPrefix(stream)
}

// Cache remembers the prefixes that needed a search. The zero value is
// ready to use.
type Cache struct {
	searched sync.Map // stream -> prefix
}

// Prefix returns Prefix(stream), searching once per stream.
func (c *Cache) Prefix(stream string) string {
	if p, ok := tagPrefix(stream); ok {
		return p
	}
	if v, ok := c.searched.Load(stream); ok {
		return v.(string)
	}
	v, _ := c.searched.LoadOrStore(stream, searchPrefix(stream))
	return v.(string)
}

// tagPrefix returns the prefix of a stream that has a hash tag or can be
// one.
func tagPrefix(stream string) (string, bool) {
	if hasHashTag(stream) {
		return stream, true
	}
	if stream != "" && !strings.Contains(stream, "}") {
		return "{" + stream + "}", true
	}
	return "", false
}

// searchPrefix returns the prefix of a stream that neither has a hash tag
// nor can be one: the first tag "dedup-<n>" with the stream's slot,
// followed by the stream.
func searchPrefix(stream string) string {
	want := partition.Slot(stream)
	for n := 0; ; n++ {
		tag := "dedup-" + strconv.Itoa(n)
		if partition.Slot(tag) == want {
			return "{" + tag + "}" + stream
		}
	}
}

// hasHashTag reports whether key has a hash tag as Redis Cluster reads
// it: text between the first "{" and the first "}" after it.
func hasHashTag(key string) bool {
	open := strings.IndexByte(key, '{')
	return open >= 0 && strings.IndexByte(key[open+1:], '}') > 0
}
