package dispatcher

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
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

// maxDepth bounds the nesting of a value, as encoding/json bounds it before
// it looks for cycles: a value that contains itself fails instead of
// overflowing the stack.
const maxDepth = 1000

var errTooDeep = errors.New("value nested deeper than 1000 levels (a cycle?)")

// encodeFunc appends the JSON of v, at nesting depth depth, in the form
// Python's json.dumps(v, ensure_ascii=False, separators=(",", ":"))
// writes: floats as Python's repr (1.0 stays 1.0); non-ASCII, U+2028 and
// <, >, & unescaped; map keys sorted; struct members as encoding/json
// writes them (names, order, omitempty, omitzero, ",string"). A value whose
// type has its own MarshalJSON or MarshalText, a []byte and a map whose
// keys are not strings are written by encoding/json.
type encodeFunc func(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error)

// appendAny appends v, with a fast path for the types of a map[string]any
// payload.
func (e *Encoder) appendAny(buf []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
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
		return e.appendObject(buf, x, depth)
	case []any:
		return e.appendArray(buf, x, depth)
	}
	rv := reflect.ValueOf(v)
	return e.encoderFor(rv.Type())(e, buf, rv, depth)
}

// encoderFor returns the encodeFunc of type t, made once per Encoder (on
// every call for a nil Encoder).
func (e *Encoder) encoderFor(t reflect.Type) encodeFunc {
	if e == nil {
		return newEncoder(t)
	}
	if f, ok := e.types.Load(t); ok {
		return f.(encodeFunc)
	}
	f, _ := e.types.LoadOrStore(t, newEncoder(t))
	return f.(encodeFunc)
}

// newEncoder makes the encodeFunc of t. It makes those of the fields of a
// struct too (a struct cannot hold itself by value), not those of the
// elements of a pointer, slice, array, map or interface, which may hold t:
// they are found when written.
func newEncoder(t reflect.Type) encodeFunc {
	switch {
	case t == numberType:
		return func(_ *Encoder, buf []byte, v reflect.Value, _ int) ([]byte, error) {
			return appendNumber(buf, json.Number(cmp.Or(v.String(), "0"))) // encoding/json writes "" as 0
		}
	case isMarshaler(t):
		return appendMarshaled
	case t.Kind() != reflect.Pointer && isMarshaler(reflect.PointerTo(t)):
		plain := kindEncoder(t)
		return func(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.CanAddr() { // encoding/json calls the method through a pointer when it can
				return appendMarshaled(e, buf, v.Addr(), depth)
			}
			return plain(e, buf, v, depth)
		}
	}
	return kindEncoder(t)
}

// kindEncoder makes the encodeFunc of t by its kind.
func kindEncoder(t reflect.Type) encodeFunc {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendScalar
	case reflect.Pointer:
		return appendPointer
	case reflect.Interface:
		return func(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(buf, "null"...), nil
			}
			return e.appendAny(buf, v.Elem().Interface(), depth)
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String && !isMarshaler(t.Key()) {
			return appendMap
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 { // bytes: base64, or numbers, as encoding/json writes them
			return appendList
		}
	case reflect.Struct:
		return newStructPlan(t).append
	}
	return appendMarshaled // and encoding/json fails on a channel, a function, a complex number
}

// appendScalar appends a string, a boolean or a number.
func appendScalar(_ *Encoder, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	switch v.Kind() {
	case reflect.String:
		return appendJSONString(buf, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(buf, v.Bool()), nil
	case reflect.Float32:
		return appendFloat(buf, v.Float(), 32)
	case reflect.Float64:
		return appendFloat(buf, v.Float(), 64)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, v.Int(), 10), nil
	}
	return strconv.AppendUint(buf, v.Uint(), 10), nil
}

// isMarshaler reports whether encoding/json writes values of type t with
// their own method.
func isMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

func appendPointer(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.IsNil() {
		return append(buf, "null"...), nil
	}
	if depth++; depth > maxDepth {
		return nil, errTooDeep
	}
	return e.encoderFor(v.Type().Elem())(e, buf, v.Elem(), depth)
}

func (e *Encoder) appendObject(buf []byte, m map[string]any, depth int) ([]byte, error) {
	if depth++; depth > maxDepth {
		return nil, errTooDeep
	}
	buf = append(buf, '{')
	var small [smallKeys]string
	for i, k := range sortedKeys(small[:], m) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, k), ':')
		var err error
		if buf, err = e.appendAny(buf, m[k], depth); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func (e *Encoder) appendArray(buf []byte, a []any, depth int) ([]byte, error) {
	if depth++; depth > maxDepth {
		return nil, errTooDeep
	}
	buf = append(buf, '[')
	for i, v := range a {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = e.appendAny(buf, v, depth); err != nil {
			return nil, err
		}
	}
	return append(buf, ']'), nil
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

// appendMap appends a map with string keys, keys sorted (nil is null).
func appendMap(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.IsNil() {
		return append(buf, "null"...), nil
	}
	if depth++; depth > maxDepth {
		return nil, errTooDeep
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	enc := e.encoderFor(v.Type().Elem())
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, k.String()), ':')
		var err error
		if buf, err = enc(e, buf, v.MapIndex(k), depth); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// appendList appends a slice (nil is null) or an array.
func appendList(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	if v.Kind() == reflect.Slice && v.IsNil() {
		return append(buf, "null"...), nil
	}
	if depth++; depth > maxDepth {
		return nil, errTooDeep
	}
	enc := e.encoderFor(v.Type().Elem())
	buf = append(buf, '[')
	for i := range v.Len() {
		if i > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = enc(e, buf, v.Index(i), depth); err != nil {
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

// appendMarshaled appends what encoding/json writes for v: compact (in the
// strings it writes itself, U+2028 and U+2029 escaped, which Python decodes
// to the same characters).
func appendMarshaled(_ *Encoder, buf []byte, v reflect.Value, _ int) ([]byte, error) {
	if !v.CanInterface() {
		return append(buf, "null"...), nil
	}
	b, err := marshalCompact(v.Interface())
	return append(buf, b...), err
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
