package dispatcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// separators=(",", ":")) writes it: floats as Python's repr (1.0 stays a float,
// -0.0 keeps its sign), also inside map[string]any and []any values;
// non-ASCII characters and <, >, & kept as they are. json.Number and
// json.RawMessage are written verbatim (compacted). Other types go through
// encoding/json, which writes a float64 with an integral value below 1e21 as
// an integer (1.0 as 1): Python reads an int that compares equal. NaN and
// infinities are rejected with an error wrapping ErrEncode: JSON cannot carry
// them.
func EncodeValue(v any) (string, error) {
	s, err := encodeValue(v)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEncode, err)
	}
	return s, nil
}

// encodeValue is EncodeValue with errors not yet wrapped.
func encodeValue(v any) (string, error) {
	if s, ok := v.(string); ok && !strings.HasPrefix(s, JSONPrefix) {
		return s, nil
	}
	buf := make([]byte, 0, 32)
	buf = append(buf, JSONPrefix...)
	buf, err := appendJSON(buf, v)
	if err != nil {
		return "", err
	}
	return string(buf), nil
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
	case "":
		return nil, fieldError(field, errors.New("no JSON value after the json: prefix"))
	}
	if isJSONNumber(raw) {
		return json.Number(raw), nil
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
	for _, k := range sortedKeys(fields) {
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
// order), or anything that marshals to a JSON object such as a struct with
// json tags (its fields are written in the order encoding/json produces). A
// "type" key in the payload is ignored: eventType wins. Errors wrap ErrEncode.
//
// Values are encoded as EncodeValue does, with one difference for structs
// and typed maps: their members are written by encoding/json, which writes a
// float64 with an integral value below 1e21 as an integer (1.0 as json:1), so
// Python reads an int that compares equal. Use a map[string]any payload, or a
// json.Number field, where the float form matters.
func EncodeFields(eventType string, payload any) ([]string, error) {
	if eventType == "" {
		return nil, fmt.Errorf("%w: event type is empty", ErrEncode)
	}
	switch p := payload.(type) {
	case nil:
		return []string{TypeField, eventType}, nil
	case map[string]string:
		return encodeMap(eventType, p)
	case map[string]any:
		return encodeMap(eventType, p)
	}
	out := []string{TypeField, eventType}
	add := func(k string, v any) error {
		if k == TypeField {
			return nil
		}
		s, err := encodeValue(v)
		if err != nil {
			return fmt.Errorf("%w field %q: %w", ErrEncode, k, err)
		}
		out = append(out, k, s)
		return nil
	}
	err := encodeObject(payload, add)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// encodeObject marshals payload, which must be a JSON object, and passes each
// member to add in document order: a JSON string as a string, anything else as
// its JSON text (compactJSON).
func encodeObject(payload any, add func(string, any) error) error {
	b, err := marshalCompact(payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrEncode, err)
	}
	if len(b) < 2 || b[0] != '{' {
		return fmt.Errorf("%w: payload %T does not encode to a JSON object", ErrEncode, payload)
	}
	err = eachMember(b, func(key string, raw []byte) error {
		if raw[0] != '"' {
			return add(key, compactJSON(raw))
		}
		s, err := unquote(raw)
		if err != nil {
			return err
		}
		return add(key, s)
	})
	if err != nil && !errors.Is(err, ErrEncode) {
		return fmt.Errorf("%w: payload %T: %w", ErrEncode, payload, err)
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	return appendSortedKeys(make([]string, 0, len(m)), m)
}

// smallKeys is how many keys the encoders sort in an array on the stack
// before they need the heap.
const smallKeys = 16

// appendSortedKeys appends the keys of m to keys, sorted. With keys backed
// by an array of the caller, a small map costs no allocation.
func appendSortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
