package dispatcher

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	numberType        = reflect.TypeFor[json.Number]()
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// appendJSON appends v as compact JSON in the form Python's
// json.dumps(v, ensure_ascii=False, separators=(",", ":")) writes: floats as
// Python's repr (1.0 stays 1.0), also in struct fields; non-ASCII and <, >, &
// unescaped; map keys sorted, struct fields in the order encoding/json
// writes them. What encoding/json writes for a value is what it holds: a
// value whose type has its own MarshalJSON or MarshalText, a []byte, a map
// with keys that are not strings and a struct field with the ",string"
// option are written by encoding/json, then only their strings are
// rewritten in Python's form.
func appendJSON(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) { // the common types of a map[string]any payload
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendJSONString(buf, x), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case float64:
		return appendFloat(buf, x, 64)
	case json.Number:
		return appendNumber(buf, x)
	case map[string]any:
		return appendObject(buf, x)
	case []any:
		return appendArray(buf, x)
	}
	return appendValue(buf, reflect.ValueOf(v))
}

// appendValue is appendJSON for any value, by its kind.
func appendValue(buf []byte, v reflect.Value) ([]byte, error) {
	if !v.IsValid() {
		return append(buf, "null"...), nil
	}
	if t := v.Type(); t == numberType {
		return appendNumber(buf, json.Number(cmp.Or(v.String(), "0"))) // encoding/json's rule
	} else if t.Implements(marshalerType) || t.Implements(textMarshalerType) ||
		(v.CanAddr() && (reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType))) {
		return appendMarshaled(buf, v)
	}
	switch v.Kind() {
	case reflect.String:
		return appendJSONString(buf, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(buf, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(buf, v.Uint(), 10), nil
	case reflect.Float32:
		return appendFloat(buf, v.Float(), 32)
	case reflect.Float64:
		return appendFloat(buf, v.Float(), 64)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		return appendValue(buf, v.Elem())
	case reflect.Map:
		if v.Type().Key().Kind() == reflect.String && !v.Type().Key().Implements(textMarshalerType) {
			return appendMap(buf, v)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() != reflect.Uint8 { // bytes are base64
			return appendList(buf, v)
		}
	case reflect.Struct:
		return appendStruct(buf, v)
	}
	return appendMarshaled(buf, v)
}

// smallKeys is how many keys the encoders sort in an array on the stack
// before they need the heap.
const smallKeys = 16

// sortedKeys returns the keys of m sorted, in keys if it has room (an array
// of the caller's stack: no allocation for a small map).
func sortedKeys[V any](keys []string, m map[string]V) []string {
	keys = keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendObject(buf []byte, m map[string]any) ([]byte, error) {
	buf = append(buf, '{')
	var small [smallKeys]string
	for i, k := range sortedKeys(small[:], m) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, k), ':')
		var err error
		if buf, err = appendJSON(buf, m[k]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func appendArray(buf []byte, a []any) ([]byte, error) {
	buf = append(buf, '[')
	for i, v := range a {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendJSON(buf, v); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendMap appends a map with string keys, keys sorted (nil is null).
func appendMap(buf []byte, v reflect.Value) ([]byte, error) {
	if v.IsNil() {
		return append(buf, "null"...), nil
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, k.String()), ':')
		var err error
		if buf, err = appendValue(buf, v.MapIndex(k)); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendList appends a slice (nil is null) or an array.
func appendList(buf []byte, v reflect.Value) ([]byte, error) {
	if v.Kind() == reflect.Slice && v.IsNil() {
		return append(buf, "null"...), nil
	}
	buf = append(buf, '[')
	for i := range v.Len() {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = appendValue(buf, v.Index(i)); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
}

// appendNumber appends a json.Number after checking that it is one.
func appendNumber(buf []byte, n json.Number) ([]byte, error) {
	if !isNumber(string(n)) {
		return nil, fmt.Errorf("invalid json.Number %q", string(n))
	}
	return append(buf, n...), nil
}

// isNumber reports whether s is one JSON number: a valid JSON text that
// starts with '-' or a digit and ends with a digit.
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || isDigit(s[0])) && isDigit(s[len(s)-1]) && json.Valid([]byte(s))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// appendMarshaled appends what encoding/json writes for v, its strings
// rewritten in Python's form.
func appendMarshaled(buf []byte, v reflect.Value) ([]byte, error) {
	if !v.CanInterface() {
		return append(buf, "null"...), nil
	}
	x := v.Interface()
	if v.CanAddr() && !isMarshaler(v.Type()) && isMarshaler(reflect.PointerTo(v.Type())) {
		x = v.Addr().Interface() // as encoding/json does for an addressable value
	}
	b, err := marshalCompact(x)
	if err != nil {
		return nil, err
	}
	return appendRaw(buf, b)
}

// appendRaw appends the JSON text raw in Python's form: compact, strings
// rewritten by appendJSONString, numbers as they are.
func appendRaw(buf, raw []byte) ([]byte, error) {
	if len(raw) > 0 && raw[0] == '"' { // a string, such as a time.Time
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return appendJSONString(buf, s), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return appendTokens(buf, dec)
}

// appendTokens appends the next JSON value of dec (see appendRaw).
func appendTokens(buf []byte, dec *json.Decoder) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim: // '{' or '['; Token checks that keys are strings
		buf = append(buf, byte(x))
		for i := 0; dec.More(); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			if x == '{' {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				buf = append(appendJSONString(buf, key.(string)), ':')
			}
			if buf, err = appendTokens(buf, dec); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return append(buf, byte(x)+2), nil // '}' and ']' follow '{' and '[' by 2
	case string:
		return appendJSONString(buf, x), nil
	case json.Number:
		return append(buf, x...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	}
	return append(buf, "null"...), nil
}

// marshalCompact marshals v to compact JSON without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// appendJSONString appends s as a JSON string the way Python's json.dumps
// with ensure_ascii=False writes it: only '"', '\\' and control characters
// are escaped. Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = append(buf, s[start:i]...)
				buf = append(buf, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
