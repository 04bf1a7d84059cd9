package redisstream

import (
	"strconv"
	"strings"

	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// dedupKeyInfix separates the stream part of a dedup key from the event's
// key.
const dedupKeyInfix = ":dedup:"

// DedupKeyPattern returns the SCAN MATCH pattern of the hashes in which the
// Publisher records the dedup keys of stream (see Event.DedupID), for
// tools that inspect or delete them.
//
// They are named "<prefix>:dedup:<window ms>:<n>", n counting windows since
// the Unix epoch, and hash to the stream's cluster slot, so that the
// Publisher's script can use them with the stream on Redis Cluster:
//   - a stream with a hash tag ("{orders}", "shop{eu}:orders") is the
//     prefix, which keeps its tag: "{orders}:dedup:120000:14800000";
//   - a stream without one becomes the tag: "orders" gives "{orders}";
//   - a stream without a tag whose name holds a "}" (or the empty name),
//     which cannot be a tag, gets the first tag "dedup-<n>" whose slot is
//     the stream's: "{dedup-<n>}a}b".
func DedupKeyPattern(stream string) string {
	return globEscaper.Replace(slotKeyPrefix(stream)) + dedupKeyInfix + "*"
}

// slotKeyPrefix returns the part of the dedup hashes' names that fixes
// their hash slot; see DedupKeyPattern.
func slotKeyPrefix(stream string) string {
	if prefix, ok := tagPrefix(stream); ok {
		return prefix
	}
	return slotPrefix(stream)
}

// globEscaper escapes the characters SCAN MATCH reads as a pattern.
var globEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)

// tagPrefix returns the part of a dedup hash name that fixes its hash slot, for
// a stream that has a hash tag or can be one; see DedupKeyPattern.
func tagPrefix(stream string) (string, bool) {
	if hasHashTag(stream) {
		return stream, true
	}
	if stream != "" && !strings.Contains(stream, "}") {
		return "{" + stream + "}", true
	}
	return "", false
}

// slotPrefix returns the prefix of the dedup hashes of a stream that neither
// has a hash tag nor can be one: the first tag "dedup-<n>" with the
// stream's slot (on average 16384 tries, about a millisecond), followed by
// the stream.
func slotPrefix(stream string) string {
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
