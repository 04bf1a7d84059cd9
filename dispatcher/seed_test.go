package dispatcher_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
)

// This file models the Python seed (codex_platform.streams.codec) for the
// tests: how it decodes a field value, and Python's == on the values.

// pyInt and pyFloat are Python's two number kinds: json.loads gives an int
// for a literal without '.', 'e' or 'E', and a float otherwise.
type (
	pyInt   struct{ v *big.Int }
	pyFloat float64
)

// seedDecode decodes a field value as the seed does: as-is without the
// prefix, json.loads after it.
func seedDecode(t testing.TB, value string) any {
	t.Helper()
	raw, ok := strings.CutPrefix(value, "json:")
	if !ok {
		return value
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("seed cannot decode %q: %v", value, err)
	}
	if dec.More() {
		t.Fatalf("seed: trailing data in %q", value)
	}
	return pyValue(t, v)
}

// pyValue turns json.Number values (anywhere in v) into pyInt or pyFloat.
func pyValue(t testing.TB, v any) any {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			n, ok := new(big.Int).SetString(s, 10)
			if !ok {
				t.Fatalf("bad int %q", s)
			}
			return pyInt{n}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad float %q: %v", s, err)
		}
		return pyFloat(f)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = pyValue(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pyValue(t, e)
		}
		return out
	}
	return v
}

// pyEqual is Python's == on decoded values, made strict where Python is
// loose: an int never equals a float, and 0.0 never equals -0.0.
func pyEqual(a, b any) bool {
	switch x := a.(type) {
	case pyInt:
		y, ok := b.(pyInt)
		return ok && x.v.Cmp(y.v) == 0
	case pyFloat:
		y, ok := b.(pyFloat)
		return ok && x == y && math.Signbit(float64(x)) == math.Signbit(float64(y))
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !pyEqual(e, f) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// vectors is testdata/codec_vectors.json.
type vectors struct {
	Cases []struct {
		Name    string            `json:"name"`
		Payload map[string]any    `json:"payload"`
		Fields  map[string]string `json:"fields"`
	} `json:"cases"`
	Hostile []struct {
		Name   string            `json:"name"`
		Fields map[string]string `json:"fields"`
		Expect string            `json:"expect"`
	} `json:"hostile"`
}

// loadVectors reads the seed's vectors; payload numbers are json.Number.
func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/codec_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v vectors
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 || len(v.Hostile) == 0 {
		t.Fatal("codec_vectors.json has no cases")
	}
	return v
}

// native turns json.Number values into the Go values a user would write:
// int64 for integers, float64 for floats.
func native(t testing.TB, v any) any {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return n
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatalf("bad number %q", x)
		}
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = native(t, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = native(t, e)
		}
		return out
	}
	return v
}

// pairs turns an XADD field list into a map, failing on an odd length or a
// repeated field.
func pairs(t testing.TB, kv []string) map[string]string {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("odd field list %q", kv)
	}
	m := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if _, dup := m[kv[i]]; dup {
			t.Fatalf("field %q written twice in %q", kv[i], kv)
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad int " + s)
	}
	return n
}
