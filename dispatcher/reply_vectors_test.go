package dispatcher_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// seedReply writes the reply the seed's publish_reply pushes for a payload
// dict whose stream fields are fields (the vectors' encodings):
// encode_stream_payload({"reply": data})["reply"], that is "json:" and
// compact JSON with ensure_ascii=False, each member's value the JSON the
// seed writes for it (a field's JSON after the prefix, or the plain string
// as a JSON string). Keys are sorted: Go writes a map in that order, and
// Python keeps the order it is given.
func seedReply(t *testing.T, fields map[string]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("json:{")
	for i, k := range slices.Sorted(maps.Keys(fields)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pyQuote(t, k) + ":")
		if js, ok := strings.CutPrefix(fields[k], "json:"); ok {
			b.WriteString(js)
		} else {
			b.WriteString(pyQuote(t, fields[k]))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// pyQuote writes s as Python's json.dumps(s, ensure_ascii=False) does for
// the strings of the vectors (none holds U+2028 or U+2029, which
// encoding/json escapes and Python does not).
func pyQuote(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil || strings.ContainsAny(s, "\u2028\u2029") {
		t.Fatalf("pyQuote(%q): %v", s, err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// TestCodecVectorsReply: a reply is a stream field holding a dict. For each
// vector payload, the reply the seed writes decodes in Go to the payload,
// and the reply Go writes (the value Publisher.Reply pushes) is exactly the
// seed's, keys in sorted order.
func TestCodecVectorsReply(t *testing.T) {
	t.Parallel()
	for _, c := range loadVectors(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			seed := seedReply(t, c.Fields)
			got, err := dispatcher.DecodeValue("reply", seed)
			if err != nil || !pyEqual(pyValue(t, got), pyValue(t, any(c.Payload))) {
				t.Fatalf("DecodeValue(%q) = %#v, %v; want %#v", seed, got, err, c.Payload)
			}
			for _, payload := range []map[string]any{c.Payload, native(t, any(c.Payload)).(map[string]any)} {
				if _, nested := payload["address"]; nested {
					continue // the seed keeps the nested object's own key order
				}
				reply, err := dispatcher.EncodeValue(payload)
				if err != nil || reply != seed {
					t.Errorf("EncodeValue(%#v) = %q, %v;\nthe seed writes %q", payload, reply, err, seed)
				}
			}
		})
	}
}
