package dispatcher

import (
	"fmt"
	"slices"
	"strings"
)

// entry is one key and value of a map, as appendSortedEntries lists them.
type entry[V any] struct {
	key string
	val V
}

// appendSortedEntries appends the entries of m to dst, sorted by key, so
// that the values need no second lookup. With dst backed by an array of the
// caller, a small map costs no allocation.
func appendSortedEntries[V any](dst []entry[V], m map[string]V) []entry[V] {
	for k, v := range m {
		dst = append(dst, entry[V]{k, v})
	}
	if len(dst) > smallKeys {
		slices.SortFunc(dst, func(a, b entry[V]) int { return strings.Compare(a.key, b.key) })
		return dst
	}
	for i := 1; i < len(dst); i++ { // insertion sort: no calls for a few keys
		for j := i; j > 0 && dst[j].key < dst[j-1].key; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// span locates the encoded value of out[at] in the arena of encodeMap.
type span struct{ at, start, end int }

// arenaSize is the initial capacity of the arena of encodeMap: enough for
// the JSON values of a typical event.
const arenaSize = 256

// encodeMap is EncodeFields for a map payload: keys sorted, "type" skipped.
// Plain strings are used as they are; every other value is written, with
// JSONPrefix, into one arena, which is copied into a single string once all
// values are written, and each field value is a slice of that string. The
// strings returned share no memory with a buffer that is written again.
func encodeMap[V any](eventType string, m map[string]V) ([]string, error) {
	var small [smallKeys]entry[V]
	entries := appendSortedEntries(small[:0], m)
	out := append(make([]string, 0, 2+2*len(m)), TypeField, eventType)
	var stackSpans [smallKeys]span
	spans := stackSpans[:0]
	var arena []byte
	for _, e := range entries {
		if e.key == TypeField {
			continue
		}
		if s, ok := any(e.val).(string); ok && !strings.HasPrefix(s, JSONPrefix) {
			out = append(out, e.key, s)
			continue
		}
		if arena == nil {
			arena = make([]byte, 0, arenaSize)
		}
		start := len(arena)
		var err error
		if arena, err = appendJSON(append(arena, JSONPrefix...), any(e.val)); err != nil {
			return nil, fmt.Errorf("%w field %q: %w", ErrEncode, e.key, err)
		}
		spans = append(spans, span{at: len(out) + 1, start: start, end: len(arena)})
		out = append(out, e.key, "")
	}
	if len(spans) == 0 {
		return out, nil
	}
	all := string(arena)
	for _, sp := range spans {
		out[sp.at] = all[sp.start:sp.end]
	}
	return out, nil
}
