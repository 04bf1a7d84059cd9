package dispatcher_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

type address struct {
	City  string   `json:"city"`
	Lines []string `json:"lines,omitempty"`
}

type orderPaid struct {
	OrderID string            `json:"order_id"`
	Amount  int64             `json:"amount"`
	Big     uint64            `json:"big"`
	Ratio   float64           `json:"ratio"`
	Paid    bool              `json:"paid"`
	Note    string            `json:"note,omitempty"`
	Ship    *address          `json:"ship"`
	Tags    map[string]string `json:"tags"`
	Raw     json.Number       `json:"raw"`
}

func TestEncodeFieldsStructRoundTrip(t *testing.T) {
	t.Parallel()
	in := orderPaid{
		OrderID: "json:o-1", Amount: -5, Big: 9007199254740993, Ratio: 0.25, Paid: true,
		Note: "Zürich <b>&</b> 🚀", Ship: &address{City: "Zürich", Lines: []string{"a"}},
		Tags: map[string]string{"k": "v"}, Raw: "12345678901234567890",
	}
	kv, err := dispatcher.EncodeFields("order.paid", in)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{"type", "order_id", "amount", "big", "ratio", "paid", "note", "ship", "tags", "raw"}
	for i, name := range wantOrder {
		if 2*i >= len(kv) || kv[2*i] != name {
			t.Fatalf("fields = %q, want the names %q in order", kv, wantOrder)
		}
	}
	fields := pairs(t, kv)
	if fields["note"] != in.Note || fields["big"] != "json:9007199254740993" {
		t.Fatalf("note = %q, big = %q: strings must be stored as-is, numbers exactly", fields["note"], fields["big"])
	}
	msg := dispatcher.NewMessage("orders", "1-0", fields)
	var out orderPaid
	if err := msg.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
}

func TestEncodeFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     string
		payload any
		want    []string
		wantErr string
	}{
		{name: "nil payload", typ: "t", want: []string{"type", "t"}},
		{name: "string map sorted", typ: "t", payload: map[string]string{"b": "2", "a": "json:"},
			want: []string{"type", "t", "a", `json:"json:"`, "b", "2"}},
		{name: "type key ignored", typ: "t", payload: map[string]any{"type": "other", "n": 1},
			want: []string{"type", "t", "n", "json:1"}},
		{name: "typed map", typ: "t", payload: map[string]int{"n": 2}, want: []string{"type", "t", "n", "json:2"}},
		{name: "typed map with odd keys", typ: "t", payload: map[string][]string{"a\"b": {"x,]}"}, "é\\": nil, "\u2028": {}},
			want: []string{"type", "t", "a\"b", `json:["x,]}"]`, "é\\", "json:null", "\u2028", "json:[]"}},
		{name: "empty struct", typ: "t", payload: struct{}{}, want: []string{"type", "t"}},
		{name: "empty type", typ: "", payload: nil, wantErr: "event type is empty"},
		{name: "not an object", typ: "t", payload: []int{1}, wantErr: "JSON object"},
		{name: "nil struct pointer", typ: "t", payload: (*orderPaid)(nil), wantErr: "JSON object"},
		{name: "NaN field", typ: "t", payload: map[string]any{"r": math.NaN()}, wantErr: `field "r": NaN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := dispatcher.EncodeFields(tt.typ, tt.payload)
			if tt.wantErr != "" {
				if !errors.Is(err, dispatcher.ErrEncode) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("EncodeFields = %q, %v; want ErrEncode mentioning %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("EncodeFields = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestNewMessageType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		has   bool
		want  string
	}{
		{"plain", "order.paid", true, "order.paid"},
		{"json string", `json:"order.paid"`, true, "order.paid"},
		{"json number", "json:1", true, ""},
		{"bad json", "json:{", true, ""},
		{"absent", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fields := map[string]string{"id": "1"}
			if tt.has {
				fields["type"] = tt.value
			}
			msg := dispatcher.NewMessage("s", "1-0", fields)
			if msg.Type != tt.want || msg.Stream != "s" || msg.ID != "1-0" || msg.Attempt != 1 {
				t.Fatalf("NewMessage = %+v, want Type %q, Attempt 1", msg, tt.want)
			}
		})
	}
}

func TestMessageDecode(t *testing.T) {
	t.Parallel()
	type target struct {
		A int64  `json:"a"`
		B string `json:"b"`
	}
	tests := []struct {
		name      string
		fields    map[string]string
		want      target
		errField  string // the error must name this field
		errDecode bool   // the error must wrap ErrDecode
	}{
		{name: "ok", fields: map[string]string{"a": "json:7", "b": "x"}, want: target{A: 7, B: "x"}},
		{name: "nil fields", fields: nil},
		{name: "unknown fields ignored", fields: map[string]string{"c": "json:[1]"}},
		{name: "injection is rejected", fields: map[string]string{"b": `json:1,"a":2`}, errField: "b", errDecode: true},
		{name: "first bad field in sorted order", fields: map[string]string{"z": "json:{", "m": "json:", "b": "x"}, errField: "m", errDecode: true},
		{name: "type mismatch names the field", fields: map[string]string{"a": "text"}, errField: "a", errDecode: true},
		{name: "int overflow", fields: map[string]string{"a": "json:9223372036854775808"}, errField: "a", errDecode: true},
		{name: "string field needs a string", fields: map[string]string{"b": "json:5"}, errField: "b", errDecode: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got target
			for range 3 { // the error must not depend on map order
				err := dispatcher.NewMessage("s", "1-0", tt.fields).Decode(&got)
				if tt.errField == "" {
					if err != nil || got != tt.want {
						t.Fatalf("Decode = %+v, %v; want %+v", got, err, tt.want)
					}
					continue
				}
				if errors.Is(err, dispatcher.ErrDecode) != tt.errDecode || err == nil ||
					!strings.Contains(err.Error(), `"`+tt.errField+`"`) {
					t.Fatalf("Decode error = %v; want ErrDecode naming %q", err, tt.errField)
				}
			}
		})
	}
}

func TestMessageDecodeMatchesPayload(t *testing.T) {
	t.Parallel()
	for _, c := range loadVectors(t).Cases {
		msg := dispatcher.NewMessage("s", "1-0", c.Fields)
		p, err := msg.Payload()
		if err != nil {
			t.Fatalf("%s: Payload: %v", c.Name, err)
		}
		var m map[string]any
		if err := msg.Decode(&m); err != nil || !reflect.DeepEqual(p, m) {
			t.Fatalf("%s: Decode = %#v, %v; Payload = %#v", c.Name, m, err, p)
		}
		for k := range c.Fields {
			v, err := msg.Get(k)
			if err != nil || !reflect.DeepEqual(v, p[k]) {
				t.Fatalf("%s: Get(%q) = %#v, %v; want %#v", c.Name, k, v, err, p[k])
			}
		}
	}
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{})
	if v, err := msg.Get("absent"); v != nil || err != nil {
		t.Fatalf("Get(absent) = %#v, %v; want nil, nil", v, err)
	}
}
