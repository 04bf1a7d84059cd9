package dispatcher_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/streamfx/streamfx/dispatcher"
)

// The seed corpus is in testdata/fuzz/<FuzzName>/.

func FuzzDecodeValue(f *testing.F) {
	f.Fuzz(func(t *testing.T, field, value string) {
		v, err := dispatcher.DecodeValue(field, value)
		if err != nil {
			if !strings.HasPrefix(value, dispatcher.JSONPrefix) || !errors.Is(err, dispatcher.ErrDecode) ||
				!strings.Contains(err.Error(), strconv.Quote(field)) {
				t.Fatalf("DecodeValue(%q, %q): error %v must wrap ErrDecode and name the field", field, value, err)
			}
			return
		}
		if !strings.HasPrefix(value, dispatcher.JSONPrefix) && v != value {
			t.Fatalf("plain value %q decoded to %#v", value, v)
		}
		enc, err := dispatcher.EncodeValue(v)
		if err != nil {
			t.Fatalf("EncodeValue(%#v) from %q: %v", v, value, err)
		}
		back, err := dispatcher.DecodeValue(field, enc)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("%q decodes to %#v, encodes to %q, decodes back to %#v, %v", value, v, enc, back, err)
		}
	})
}

func FuzzMessageDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, typ, a, b string) {
		msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": typ, "a": a, "b": b})
		payload, perr := msg.Payload()
		var m map[string]any
		derr := msg.Decode(&m)
		for _, err := range []error{perr, derr} {
			if err != nil && !errors.Is(err, dispatcher.ErrDecode) {
				t.Fatalf("error %v does not wrap ErrDecode", err)
			}
		}
		if (perr == nil) != (derr == nil) {
			t.Fatalf("Payload error %v, Decode error %v: want both or neither", perr, derr)
		}
		var st struct {
			Type string
			A    any
			B    json.RawMessage
		}
		_ = msg.Decode(&st) // must not panic
		if perr != nil {
			return
		}
		plainValid := true
		for _, s := range []string{typ, a, b} {
			if !strings.HasPrefix(s, dispatcher.JSONPrefix) && !utf8.ValidString(s) {
				plainValid = false // Decode reads JSON: invalid UTF-8 becomes U+FFFD
			}
		}
		if plainValid && !reflect.DeepEqual(payload, m) {
			t.Fatalf("Payload = %#v, Decode = %#v", payload, m)
		}
		if s, ok := payload["type"].(string); ok && plainValid && msg.Type != s {
			t.Fatalf("Type = %q, the type field decodes to %q", msg.Type, s)
		}
	})
}

func FuzzEncodeRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, fl float64, i int64, u uint64, b bool) {
		payload := map[string]any{"s": s, "f": fl, "i": i, "u": u, "b": b, "n": []any{s, fl, float32(fl)}}
		kv, err := dispatcher.EncodeFields("t", payload)
		if math.IsNaN(fl) || math.IsInf(fl, 0) || math.IsInf(float64(float32(fl)), 0) {
			if !errors.Is(err, dispatcher.ErrEncode) {
				t.Fatalf("EncodeFields with %v: error %v, want ErrEncode", fl, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeFields: %v", err)
		}
		fields := pairs(t, kv)
		for k, want := range map[string]any{"s": s, "f": pyFloat(fl), "i": pyInt{bigInt(strconv.FormatInt(i, 10))}, "u": pyInt{bigInt(strconv.FormatUint(u, 10))}, "b": b} {
			if k == "s" && strings.HasPrefix(s, dispatcher.JSONPrefix) && !utf8.ValidString(s) {
				continue // JSON strings carry valid UTF-8 only
			}
			if got := seedDecode(t, fields[k]); !pyEqual(got, want) {
				t.Fatalf("field %s = %q decodes to %#v, want %#v", k, fields[k], got, want)
			}
		}
		checkStructEncoding(t, s, fl, i, u, b, fields)
		var out struct {
			S string
			F float64
			I int64
			U uint64
			B bool
		}
		msg := dispatcher.NewMessage("s", "1-0", fields)
		if err := msg.Decode(&out); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if out.F != fl || math.Signbit(out.F) != math.Signbit(fl) || out.I != i || out.U != u || out.B != b ||
			(utf8.ValidString(s) && out.S != s) {
			t.Fatalf("Decode = %+v, want %q %v %d %d %v", out, s, fl, i, u, b)
		}
		dec := json.NewDecoder(strings.NewReader(strings.TrimPrefix(fields["n"], dispatcher.JSONPrefix)))
		dec.UseNumber()
		var n []any
		if err := dec.Decode(&n); err != nil || len(n) != 3 {
			t.Fatalf("n = %q: %v", fields["n"], err)
		}
		n2, _ := n[2].(json.Number)
		if f32, err := strconv.ParseFloat(string(n2), 32); err != nil || float32(f32) != float32(fl) ||
			!strings.ContainsAny(string(n2), ".e") {
			t.Fatalf("float32 %v written as %q", float32(fl), fields["n"])
		}
	})
}

// checkStructEncoding checks that a struct is encoded as the equivalent map
// (byMap), floats and nested objects with arbitrary keys included.
func checkStructEncoding(t *testing.T, s string, f float64, i int64, u uint64, b bool, byMap map[string]string) {
	t.Helper()
	type payload struct {
		S string            `json:"s"`
		F float64           `json:"f"`
		I int64             `json:"i"`
		U uint64            `json:"u"`
		B bool              `json:"b"`
		M map[string]string `json:"m"`
	}
	kv, err := dispatcher.EncodeFields("t", payload{S: s, F: f, I: i, U: u, B: b, M: map[string]string{s: s}})
	if err != nil {
		t.Fatalf("EncodeFields(struct): %v", err)
	}
	fields := pairs(t, kv)
	for _, k := range []string{"f", "i", "u", "b"} {
		if fields[k] != byMap[k] {
			t.Fatalf("field %s: struct gives %q, map gives %q", k, fields[k], byMap[k])
		}
	}
	if !utf8.ValidString(s) {
		return // encoding/json replaces invalid UTF-8
	}
	if fields["s"] != byMap["s"] {
		t.Fatalf("field s: struct gives %q, map gives %q", fields["s"], byMap["s"])
	}
	if m, ok := seedDecode(t, fields["m"]).(map[string]any); !ok || len(m) != 1 || m[s] != s {
		t.Fatalf("field m = %q, want {%q: %q}", fields["m"], s, s)
	}
}
