package dispatcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// JSONPrefix marks a field value that holds JSON rather than a plain string.
// It is the wire rule of codex_platform.streams: strings are stored as-is,
// every other value as JSONPrefix followed by compact JSON.
const JSONPrefix = "json:"

// TypeField is the stream field that holds the event type.
const TypeField = "type"

// EncodeValue encodes one payload value as a stream field value.
//
// A string is stored as-is, unless it begins with JSONPrefix: then it is stored
// as a JSON string ("json:\"json:...\"") so that it decodes back to itself
// (the Python seed would corrupt it). Any other value is JSONPrefix followed by
// compact JSON as Python's json.dumps(v, ensure_ascii=False,
// separators=(",", ":")) writes it: floats as Python's repr (1.0 stays a
// float, -0.0 keeps its sign) wherever they are, in maps, slices and struct
// fields; non-ASCII characters and <, >, & kept as they are; map keys sorted,
// struct fields in encoding/json's order and under its names. json.Number
// is written verbatim; json.RawMessage, what a type's own MarshalJSON or
// MarshalText writes, a []byte and a map whose keys are not strings are
// written as encoding/json writes them (compact; in the strings it writes
// itself it escapes U+2028 and U+2029, which Python reads as the same
// characters). NaN and infinities are rejected with an error wrapping
// ErrEncode: JSON cannot carry them; so is a value that contains itself.
//
// It inspects the types of v on every call; an Encoder remembers them.
func EncodeValue(v any) (string, error) {
	return (*Encoder)(nil).EncodeValue(v)
}

// DecodeValue decodes one stream field value. A value without JSONPrefix is a
// plain string. A value with it is JSON: numbers decode as json.Number so that
// every digit is kept, objects as map[string]any, arrays as []any. An error
// names the field and wraps ErrDecode; it is returned for an empty or invalid
// JSON value, trailing data, and for NaN and Infinity (which Python's json
// writes for non-finite floats but which are not JSON).
func DecodeValue(field, value string) (any, error) {
	raw, ok := strings.CutPrefix(value, JSONPrefix)
	if !ok {
		return value, nil
	}
	switch raw {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	if n := strings.Trim(raw, " \t\r\n"); isNumber(n) {
		return json.Number(n), nil // kept as written: every digit
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("no JSON value after the json: prefix")
		}
		return nil, fieldError(field, err)
	}
	if rest := strings.TrimLeft(raw[dec.InputOffset():], " \t\r\n"); rest != "" {
		return nil, fieldError(field, fmt.Errorf("data after the JSON value: %.20q", rest))
	}
	return v, nil
}

// DecodeFields decodes every field of a stream entry into a payload map (the
// "type" field included). The first field, in sorted order, that cannot be
// decoded fails the whole call with an error naming it.
func DecodeFields(fields map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for k, raw := range fields {
		v, err := DecodeValue(k, raw)
		if err != nil {
			return nil, firstFieldError(fields)
		}
		out[k] = v
	}
	return out, nil
}

// firstFieldError returns the error of the first field, in sorted order, that
// does not decode, so that the error is the same on every call.
func firstFieldError(fields map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if _, err := DecodeValue(k, fields[k]); err != nil {
			return err
		}
	}
	return nil
}

// EncodeFields encodes an event into stream fields, ready for XADD: a flat
// list of field/value pairs with "type" first.
//
// payload may be nil, a map with string keys (its keys are written in sorted
// order), or anything that encodes to a JSON object such as a struct with
// json tags (its fields are written in the order, and under the names,
// encoding/json writes them). Each value is encoded as EncodeValue does, so
// a float64 field holding 100.0 is written json:100.0, as Python writes it.
// A "type" key in the payload is ignored: eventType wins. Errors wrap
// ErrEncode.
//
// It inspects the types of payload on every call; an Encoder remembers them.
func EncodeFields(eventType string, payload any) ([]string, error) {
	return (*Encoder)(nil).EncodeFields(eventType, payload)
}

// isNumber reports whether s is one JSON number: a valid JSON text that
// starts with '-' or a digit and ends with a digit.
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || isDigit(s[0])) && isDigit(s[len(s)-1]) && json.Valid([]byte(s))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
