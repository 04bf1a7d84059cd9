package dispatcher_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

func TestCodecVectorsDecode(t *testing.T) {
	t.Parallel()
	for _, c := range loadVectors(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			got, err := dispatcher.DecodeFields(c.Fields)
			if err != nil {
				t.Fatalf("DecodeFields: %v", err)
			}
			if want := pyValue(t, any(c.Payload)); !pyEqual(pyValue(t, any(got)), want) {
				t.Fatalf("DecodeFields = %#v, want %#v", got, c.Payload)
			}
			msg := dispatcher.NewMessage("s", "1-0", c.Fields)
			var viaDecode map[string]any
			if err := msg.Decode(&viaDecode); err != nil {
				t.Fatalf("Message.Decode: %v", err)
			}
			if !pyEqual(pyValue(t, any(viaDecode)), pyValue(t, any(c.Payload))) {
				t.Fatalf("Message.Decode = %#v, want %#v", viaDecode, c.Payload)
			}
			if msg.Type != c.Payload["type"] {
				t.Fatalf("Type = %q, want %v", msg.Type, c.Payload["type"])
			}
		})
	}
}

func TestCodecVectorsEncode(t *testing.T) {
	t.Parallel()
	for _, c := range loadVectors(t).Cases {
		for _, form := range []string{"json.Number", "native"} {
			t.Run(c.Name+"/"+form, func(t *testing.T) {
				t.Parallel()
				payload := c.Payload
				if form == "native" {
					payload = native(t, any(c.Payload)).(map[string]any)
				}
				kv, err := dispatcher.EncodeFields(c.Payload["type"].(string), payload)
				if err != nil {
					t.Fatalf("EncodeFields: %v", err)
				}
				if kv[0] != "type" {
					t.Fatalf("first field = %q, want type", kv[0])
				}
				fields := pairs(t, kv)
				if len(fields) != len(c.Payload) {
					t.Fatalf("EncodeFields wrote %d fields, want %d: %q", len(fields), len(c.Payload), kv)
				}
				for k, want := range c.Payload {
					if got := seedDecode(t, fields[k]); !pyEqual(got, pyValue(t, want)) {
						t.Errorf("field %s = %q decodes to %#v, want %#v", k, fields[k], got, want)
					}
					if _, isObject := want.(map[string]any); !isObject && fields[k] != c.Fields[k] {
						// Objects may list their keys in another order.
						t.Errorf("field %s = %q, the seed writes %q", k, fields[k], c.Fields[k])
					}
					v, err := dispatcher.EncodeValue(payload[k])
					if err != nil || v != fields[k] {
						t.Errorf("EncodeValue(%#v) = %q, %v; EncodeFields wrote %q", payload[k], v, err, fields[k])
					}
				}
			})
		}
	}
}

func TestCodecHostile(t *testing.T) {
	t.Parallel()
	checks := map[string]func(t *testing.T, fields map[string]string){
		"bad json after prefix": expectFieldError("v"),
		"prefix only":           expectFieldError("v"),
		"no type field": func(t *testing.T, fields map[string]string) {
			msg := dispatcher.NewMessage("s", "1-0", fields)
			if msg.Type != "" {
				t.Fatalf("Type = %q, want empty", msg.Type)
			}
			d := dispatcher.New(dispatcher.Config{})
			d.On("x", dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error { return nil }))
			o := d.Process(t.Context(), msg)
			if o.Action != dispatcher.Ack || !errors.Is(o.Unroutable, dispatcher.ErrNoType) {
				t.Fatalf("Process = %+v, want Ack with Unroutable ErrNoType", o)
			}
		},
		"type is json": func(t *testing.T, fields map[string]string) {
			msg := dispatcher.NewMessage("s", "1-0", fields)
			if msg.Type != "order.paid" {
				t.Fatalf("Type = %q, want order.paid", msg.Type)
			}
			ran := false
			d := dispatcher.New(dispatcher.Config{})
			d.On("order.paid", dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error { ran = true; return nil }))
			if o := d.Process(t.Context(), msg); o.Action != dispatcher.Ack || o.Handled != 1 || !ran {
				t.Fatalf("Process = %+v (ran %v), want Ack after running the order.paid route", o, ran)
			}
		},
	}
	for _, c := range loadVectors(t).Hostile {
		check, ok := checks[c.Name]
		if !ok {
			t.Errorf("hostile case %q (%s) has no check", c.Name, c.Expect)
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			check(t, c.Fields)
		})
	}
}

// expectFieldError checks that every decoding path fails with an error that
// names field and wraps ErrDecode, and that Process dead-letters the message
// through a Typed route.
func expectFieldError(field string) func(t *testing.T, fields map[string]string) {
	return func(t *testing.T, fields map[string]string) {
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, dispatcher.ErrDecode) || !dispatcher.IsPermanent(err) {
				t.Errorf("%s: error %v does not wrap ErrDecode", what, err)
			} else if !strings.Contains(err.Error(), strconv.Quote(field)) {
				t.Errorf("%s: error %q does not name field %q", what, err, field)
			}
		}
		_, err := dispatcher.DecodeValue(field, fields[field])
		check("DecodeValue", err)
		_, err = dispatcher.DecodeFields(fields)
		check("DecodeFields", err)
		msg := dispatcher.NewMessage("s", "1-0", fields)
		_, err = msg.Get(field)
		check("Get", err)
		_, err = msg.Payload()
		check("Payload", err)
		var m map[string]any
		check("Decode", msg.Decode(&m))

		d := dispatcher.New(dispatcher.Config{})
		called := false
		d.On(msg.Type, dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, p map[string]any) error {
			called = true
			return nil
		}))
		o := d.Process(t.Context(), msg)
		if o.Action != dispatcher.DeadLetter || len(o.Failures) != 1 || called {
			t.Fatalf("Process = %+v (handler called %v), want DeadLetter without calling the handler", o, called)
		}
		check("Process", o.Failures[0].Err)
	}
}

func TestEncodeValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"string as-is", "héllo <a>&", "héllo <a>&"},
		{"empty string", "", ""},
		{"string with json prefix", "json:1", `json:"json:1"`},
		{"bare json prefix", "json:", `json:"json:"`},
		{"int", 1999, "json:1999"},
		{"big int64", int64(9007199254740993), "json:9007199254740993"},
		{"uint64 max", uint64(math.MaxUint64), "json:18446744073709551615"},
		{"int8 min", int8(math.MinInt8), "json:-128"},
		{"int16", int16(-300), "json:-300"},
		{"int32 min", int32(math.MinInt32), "json:-2147483648"},
		{"int64 min", int64(math.MinInt64), "json:-9223372036854775808"},
		{"uint", uint(7), "json:7"},
		{"uint8", uint8(255), "json:255"},
		{"uint16", uint16(65535), "json:65535"},
		{"uint32 max", uint32(math.MaxUint32), "json:4294967295"},
		{"nested ints", map[string]any{"a": []any{int8(-1), uint16(2), int64(3)}}, `json:{"a":[-1,2,3]}`},
		{"float integral", 1.0, "json:1.0"},
		{"float small", 1e-07, "json:1e-07"},
		{"float negative zero", math.Copysign(0, -1), "json:-0.0"},
		{"float large", 1e16, "json:1e+16"},
		{"float32", float32(0.1), "json:0.1"},
		{"float32 integral", float32(3), "json:3.0"},
		{"bool", true, "json:true"},
		{"nil", nil, "json:null"},
		{"json.Number", json.Number("9007199254740993"), "json:9007199254740993"},
		{"raw message compacted", json.RawMessage(`{ "a" : [1, 2] }`), `json:{"a":[1,2]}`},
		{"nested floats", map[string]any{"b": []any{1.0, 2}, "a": 0.5}, `json:{"a":0.5,"b":[1.0,2]}`},
		{"non-ASCII and html kept", []any{"Zürich 🚀", "<a>&"}, `json:["Zürich 🚀","<a>&"]`},
		{"control characters escaped", []any{"a\"b\\c\nd\te\x01\u2028"}, "json:[\"a\\\"b\\\\c\\nd\\te\\u0001\u2028\"]"},
		{"invalid UTF-8 replaced", []any{"a\xffb"}, "json:[\"a\uFFFDb\"]"},
		{"struct", struct {
			A int    `json:"a"`
			B string `json:"b,omitempty"`
		}{A: 1}, `json:{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := dispatcher.EncodeValue(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("EncodeValue(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if s, ok := tt.in.(string); ok {
				if back, err := dispatcher.DecodeValue("f", got); err != nil || back != s {
					t.Fatalf("DecodeValue(%q) = %#v, %v; want %q", got, back, err, s)
				}
			}
			_ = seedDecode(t, got) // the seed can read it
		})
	}
}

func TestEncodeValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      any
		mention string
	}{
		{"NaN", math.NaN(), "NaN"},
		{"+Inf", math.Inf(1), "+Inf"},
		{"-Inf float32", float32(math.Inf(-1)), "-Inf"},
		{"NaN nested", map[string]any{"x": []any{math.NaN()}}, "NaN"},
		{"NaN in struct", struct{ X float64 }{math.NaN()}, "NaN"},
		{"json.Number not a number", json.Number(`"x"`), "json.Number"},
		{"json.Number empty", json.Number(""), "json.Number"},
		{"bad raw message", json.RawMessage(`{`), "RawMessage"},
		{"channel", make(chan int), "chan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := dispatcher.EncodeValue(tt.in)
			if !errors.Is(err, dispatcher.ErrEncode) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("EncodeValue = %q, %v; want an ErrEncode error mentioning %q", got, err, tt.mention)
			}
		})
	}
}

func TestPythonFloatRepr(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/python_float_repr.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Floats []struct{ Hex, JSON string }
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Floats) < 100 {
		t.Fatalf("only %d floats in the golden file", len(golden.Floats))
	}
	for _, g := range golden.Floats {
		f, err := strconv.ParseFloat(g.Hex, 64)
		if err != nil {
			t.Fatalf("parse %s: %v", g.Hex, err)
		}
		if got, err := dispatcher.EncodeValue(f); err != nil || got != "json:"+g.JSON {
			t.Errorf("EncodeValue(%s) = %q, %v; Python writes json:%s", g.Hex, got, err, g.JSON)
		}
	}
}

func TestDecodeValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    any // compared with pyEqual after pyValue
		wantErr bool
	}{
		{in: "plain", want: "plain"},
		{in: "", want: ""},
		{in: "JSON:1", want: "JSON:1"},
		{in: "json:1", want: pyInt{bigInt("1")}},
		{in: "json:-0.0", want: pyFloat(math.Copysign(0, -1))},
		{in: "json:123456789012345678901234567890", want: pyInt{bigInt("123456789012345678901234567890")}},
		{in: `json:"json:x"`, want: "json:x"},
		{in: "json: [1, 2.5] ", want: []any{pyInt{bigInt("1")}, pyFloat(2.5)}},
		{in: "json:null", want: nil},
		{in: "json:false", want: false},
		{in: "json:", wantErr: true},
		{in: "json: ", wantErr: true},
		{in: "json:1]", wantErr: true},
		{in: "json:1 2", wantErr: true},
		{in: "json:{} {}", wantErr: true},
		{in: "json:01", wantErr: true},
		{in: "json:NaN", wantErr: true},
		{in: "json:Infinity", wantErr: true},
		{in: "json:'x'", wantErr: true},
		{in: "json:tru", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := dispatcher.DecodeValue("f", tt.in)
			if tt.wantErr {
				if !errors.Is(err, dispatcher.ErrDecode) || !strings.Contains(err.Error(), `"f"`) {
					t.Fatalf("DecodeValue(%q) = %#v, %v; want an ErrDecode error naming f", tt.in, got, err)
				}
				return
			}
			if err != nil || !pyEqual(pyValue(t, got), tt.want) {
				t.Fatalf("DecodeValue(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestJSONPrefixStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"json:", "json:1", `json:"x"`, `json:{"a":1}`, "json:json:", "json:é\n"} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			kv, err := dispatcher.EncodeFields("t", map[string]any{"s": s})
			if err != nil {
				t.Fatal(err)
			}
			fields := pairs(t, kv)
			if got := seedDecode(t, fields["s"]); got != s {
				t.Fatalf("the seed decodes %q to %#v, want %q", fields["s"], got, s)
			}
			var p struct{ S string }
			if err := dispatcher.NewMessage("s", "1-0", fields).Decode(&p); err != nil || p.S != s {
				t.Fatalf("Decode = %q, %v; want %q", p.S, err, s)
			}
		})
	}
}
