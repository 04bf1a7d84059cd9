package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
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
// (the Python seed would corrupt it). A float is written the way Python writes
// it (1.0 stays a float, -0.0 keeps its sign). json.Number and
// json.RawMessage are written verbatim. Anything else is marshalled to compact
// JSON with non-ASCII characters and <, >, & kept as they are. NaN and
// infinities are rejected: JSON cannot carry them.
func EncodeValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, JSONPrefix) {
			b, err := marshalCompact(x)
			return JSONPrefix + string(b), err
		}
		return x, nil
	case float64:
		s, err := formatFloat(x)
		return JSONPrefix + s, err
	case float32:
		s, err := formatFloat(float64(x))
		return JSONPrefix + s, err
	case json.Number:
		if !json.Valid([]byte(x)) {
			return "", fmt.Errorf("dispatcher: invalid json.Number %q", string(x))
		}
		return JSONPrefix + string(x), nil
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, x); err != nil {
			return "", fmt.Errorf("dispatcher: invalid json.RawMessage: %w", err)
		}
		return JSONPrefix + buf.String(), nil
	}
	b, err := marshalCompact(v)
	if err != nil {
		return "", err
	}
	return JSONPrefix + string(b), nil
}

// DecodeValue decodes one stream field value. A value without JSONPrefix is a
// plain string. A value with it is JSON: numbers decode as json.Number so that
// every digit is kept, objects as map[string]any, arrays as []any. An error
// names the field and wraps ErrDecode.
func DecodeValue(field, value string) (any, error) {
	raw, ok := strings.CutPrefix(value, JSONPrefix)
	if !ok {
		return value, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fieldError(field, err)
	}
	if dec.More() {
		return nil, fieldError(field, errors.New("trailing data after JSON value"))
	}
	return v, nil
}

// DecodeFields decodes every field of a stream entry into a payload map (the
// "type" field included). The first field that cannot be decoded fails the
// whole call with an error naming it.
func DecodeFields(fields map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(fields))
	for _, k := range sortedKeys(fields) {
		v, err := DecodeValue(k, fields[k])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// EncodeFields encodes an event into stream fields, ready for XADD: a flat
// list of field/value pairs with "type" first.
//
// payload may be nil, a map with string keys (its keys are written in sorted
// order), or anything that marshals to a JSON object such as a struct with
// json tags (its fields are written in the order encoding/json produces). A
// "type" key in the payload is ignored: eventType wins.
func EncodeFields(eventType string, payload any) ([]string, error) {
	if eventType == "" {
		return nil, errors.New("dispatcher: event type is empty")
	}
	out := []string{TypeField, eventType}
	add := func(k string, v any) error {
		if k == TypeField {
			return nil
		}
		s, err := EncodeValue(v)
		if err != nil {
			return fmt.Errorf("dispatcher: encode field %q: %w", k, err)
		}
		out = append(out, k, s)
		return nil
	}
	switch p := payload.(type) {
	case nil:
		return out, nil
	case map[string]string:
		for _, k := range sortedKeys(p) {
			if err := add(k, p[k]); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		for _, k := range sortedKeys(p) {
			if err := add(k, p[k]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return encodeObject(payload, add)
}

// encodeObject marshals payload, which must be a JSON object, and passes each
// member to add in document order.
func encodeObject(payload any, add func(string, any) error) ([]string, error) {
	b, err := marshalCompact(payload)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("dispatcher: payload %T does not encode to a JSON object", payload)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("dispatcher: payload %T: %w", payload, err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("dispatcher: payload %T: %w", payload, err)
		}
		var v any = raw
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			v = s
		}
		if err := add(tok.(string), v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// marshalCompact marshals v to compact JSON without HTML escaping, as Python's
// json.dumps(v, ensure_ascii=False, separators=(",", ":")) does.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("dispatcher: encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// formatFloat writes f as Python's repr does, so that Python decodes a float.
func formatFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("dispatcher: %v cannot be encoded as JSON", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci, nil
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
