package redisstream

import (
	"strings"

	"github.com/streamfx/streamfx/internal/slotkey"
)

// dedupKeyInfix separates the stream part of a dedup hash's name from the
// window.
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
	return globEscaper.Replace(slotkey.Prefix(stream)) + dedupKeyInfix + "*"
}

// globEscaper escapes the characters SCAN MATCH reads as a pattern.
var globEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)
