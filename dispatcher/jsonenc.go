package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// compactJSON is JSON text already valid and compact, written verbatim.
type compactJSON []byte

// appendJSON appends v as compact JSON in the form Python's
// json.dumps(v, ensure_ascii=False, separators=(",", ":")) writes: floats as
// Python's repr (1.0 stays 1.0), non-ASCII and <, >, & unescaped. Map keys are
// sorted. Values of other types go through encoding/json.
func appendJSON(buf []byte, v any) ([]byte, error) {
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
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(buf, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(buf, x, 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), nil
	case float64:
		return appendFloat(buf, x, 64)
	case float32:
		return appendFloat(buf, float64(x), 32)
	case json.Number:
		if !isJSONNumber(string(x)) {
			return nil, fmt.Errorf("invalid json.Number %q", string(x))
		}
		return append(buf, x...), nil
	case json.RawMessage:
		var out bytes.Buffer
		if err := json.Compact(&out, x); err != nil {
			return nil, fmt.Errorf("invalid json.RawMessage: %w", err)
		}
		return append(buf, out.Bytes()...), nil
	case compactJSON:
		return append(buf, x...), nil
	case map[string]any:
		return appendObject(buf, x)
	case []any:
		return appendArray(buf, x)
	}
	b, err := marshalCompact(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

func appendObject(buf []byte, m map[string]any) ([]byte, error) {
	buf = append(buf, '{')
	var small [smallKeys]entry[any]
	for i, e := range appendSortedEntries(small[:0], m) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, e.key)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, e.val); err != nil {
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

// appendFloat appends f as Python's repr writes it, so that Python decodes a
// float: shortest digits that round-trip (for bitSize 32, those of the
// float32), exponent form below 1e-4 and from 1e16 on, ".0" on integral values.
// A float64 due the positional form is written by strconv directly; other
// values are formatted once in exponent form, and the digits of a float32
// due the positional form are placed around the decimal point here.
func appendFloat(buf []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v is not a finite number: JSON cannot carry it", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(buf, "-0.0"...), nil
		}
		return append(buf, "0.0"...), nil
	}
	if abs := math.Abs(f); bitSize == 64 && abs >= 1e-4 && abs < 1e16 {
		// Positional, as Python writes it: the shortest digits, and ".0"
		// when they have no fractional part. (A float64 below 1e16 has
		// shortest digits below 1e16, and likewise at 1e-4, so the test on
		// the value is the test Python makes on the digits.)
		start := len(buf)
		buf = strconv.AppendFloat(buf, f, 'f', -1, 64)
		if bytes.IndexByte(buf[start:], '.') < 0 {
			buf = append(buf, '.', '0')
		}
		return buf, nil
	}
	var scratch [32]byte
	sci := strconv.AppendFloat(scratch[:0], f, 'e', -1, bitSize)
	e := bytes.IndexByte(sci, 'e')
	exp := 0
	for _, c := range sci[e+2:] {
		exp = exp*10 + int(c-'0')
	}
	if sci[e+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		return append(buf, sci...), nil
	}
	if sci[0] == '-' {
		buf = append(buf, '-')
		sci = sci[1:]
		e--
	}
	return appendPositional(buf, sci[:e], exp), nil
}

// appendPositional appends the decimal form of mant×10^exp, mant being the
// mantissa strconv writes in exponent form ("d" or "d.ddd"), always with a
// fractional part (".0" if none).
func appendPositional(buf, mant []byte, exp int) []byte {
	var digits [24]byte
	d := append(digits[:0], mant[0])
	if len(mant) > 2 {
		d = append(d, mant[2:]...)
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for range -exp - 1 {
			buf = append(buf, '0')
		}
		return append(buf, d...)
	}
	if len(d) <= exp+1 {
		buf = append(buf, d...)
		for range exp + 1 - len(d) {
			buf = append(buf, '0')
		}
		return append(buf, '.', '0')
	}
	buf = append(buf, d[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, d[exp+1:]...)
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

// isJSONNumber reports whether s is exactly one JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// eachMember calls fn with the key and the raw value of each member of obj, a
// JSON object in the compact form encoding/json writes (no white space).
func eachMember(obj []byte, fn func(key string, raw []byte) error) error {
	errBad := errors.New("malformed JSON object")
	i := 1
	for i < len(obj) && obj[i] != '}' {
		kEnd := skipValue(obj, i)
		if obj[i] != '"' || kEnd >= len(obj) || obj[kEnd] != ':' {
			return errBad
		}
		key, err := unquote(obj[i:kEnd])
		if err != nil {
			return err
		}
		vEnd := skipValue(obj, kEnd+1)
		if vEnd == kEnd+1 || vEnd >= len(obj) {
			return errBad
		}
		if err := fn(key, obj[kEnd+1:vEnd]); err != nil {
			return err
		}
		i = vEnd
		if obj[i] == ',' {
			i++
		}
	}
	if i != len(obj)-1 {
		return errBad
	}
	return nil
}

// skipValue returns the index just past the compact JSON value starting at
// b[i]: a string, an object or array (brackets counted outside strings), or
// a literal (up to the next ',', '}', ']' or ':').
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// unquote decodes a JSON string literal.
func unquote(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) && len(raw) >= 2 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}
