package dispatcher_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// TestEncodeFieldsMapValues checks, for a small map and for one with more
// keys and bytes than the encoder keeps on its stack, that every field is
// what EncodeValue writes, keys sorted, and that a later call does not
// change the strings an earlier call returned.
func TestEncodeFieldsMapValues(t *testing.T) {
	t.Parallel()
	big := map[string]any{}
	for i := range 40 {
		big["k"+strconv.Itoa(i)] = []any{strings.Repeat("x", 30), float64(i) + 0.5, i}
	}
	small := map[string]any{"s": "plain", "j": "json:x", "f": 2.5, "n": nil, "b": false, "m": map[string]any{"z": 1, "a": []any{}}}
	cases := []struct {
		name    string
		payload map[string]any
	}{{"small", small}, {"big", big}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			kv, err := dispatcher.EncodeFields("t", c.payload)
			if err != nil {
				t.Fatal(err)
			}
			kept := slices.Clone(kv)
			if _, err := dispatcher.EncodeFields("u", map[string]any{"s": 1.25, "t": strings.Repeat("y", 600)}); err != nil {
				t.Fatal(err)
			}
			if kv[0] != "type" || kv[1] != "t" || len(kv) != 2+2*len(c.payload) {
				t.Fatalf("EncodeFields = %q", kv)
			}
			keys := make([]string, 0, len(c.payload))
			for i := 2; i < len(kv); i += 2 {
				keys = append(keys, kv[i])
				want, err := dispatcher.EncodeValue(c.payload[kv[i]])
				if err != nil || kv[i+1] != want || kept[i+1] != kv[i+1] {
					t.Fatalf("field %s = %q (kept %q), EncodeValue writes %q, %v", kv[i], kv[i+1], kept[i+1], want, err)
				}
			}
			if !slices.IsSorted(keys) {
				t.Fatalf("keys not sorted: %q", keys)
			}
		})
	}
}
