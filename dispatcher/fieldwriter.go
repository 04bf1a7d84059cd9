package dispatcher

import (
	"encoding/json"
	"strings"
)

// bufSize is the initial capacity of the buffer of a fieldWriter: enough
// for the JSON values of a typical event.
const bufSize = 256

// fieldWriter builds the field list of an event. Plain strings are used as
// they are; every JSON value is written, with JSONPrefix, into one buffer,
// which becomes a single string once all values are written, each field
// value a slice of it: one allocation for all the JSON values of an event.
type fieldWriter struct {
	out []string
	buf []byte
	// The spans of the JSON values: the first ones in an array, so that
	// a fieldWriter on the stack stays there.
	n     int
	small [smallKeys]span
	more  []span
}

// span says that out[at] is buf[end of the previous span:end].
type span struct{ at, end int }

func (w *fieldWriter) init(eventType string, n int) {
	w.out = append(make([]string, 0, 2+2*n), TypeField, eventType)
}

// addString adds a string value as encodeValue writes it: as it is, or as a
// JSON string if it begins with JSONPrefix.
func (w *fieldWriter) addString(key, s string) {
	if !strings.HasPrefix(s, JSONPrefix) {
		w.out = append(w.out, key, s)
		return
	}
	_ = w.addJSON(key, false, func(buf []byte) ([]byte, error) { return appendJSONString(buf, s), nil })
}

// addJSON adds the JSON value that write appends. With unwrap, a JSON
// string is added as a string (addString), as the seed stores strings.
func (w *fieldWriter) addJSON(key string, unwrap bool, write func([]byte) ([]byte, error)) error {
	if w.buf == nil {
		w.buf = make([]byte, 0, bufSize)
	}
	start := len(w.buf)
	buf, err := write(append(w.buf, JSONPrefix...))
	if err != nil {
		return err
	}
	if js := buf[start+len(JSONPrefix):]; unwrap && len(js) > 0 && js[0] == '"' {
		var s string
		if err := json.Unmarshal(js, &s); err != nil {
			return err
		}
		w.buf = buf[:start]
		if !strings.HasPrefix(s, JSONPrefix) {
			w.out = append(w.out, key, s)
			return nil
		}
		buf = appendJSONString(append(w.buf, JSONPrefix...), s)
	}
	w.buf = buf
	if sp := (span{at: len(w.out) + 1, end: len(buf)}); w.n < len(w.small) {
		w.small[w.n] = sp
		w.n++
	} else {
		w.more = append(w.more, sp)
	}
	w.out = append(w.out, key, "")
	return nil
}

// fields returns the field list.
func (w *fieldWriter) fields() []string {
	all, start := string(w.buf), 0
	for _, sp := range append(w.small[:w.n:w.n], w.more...) {
		w.out[sp.at], start = all[start:sp.end], sp.end
	}
	return w.out
}
