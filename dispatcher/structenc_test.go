package dispatcher_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

type floatBase struct {
	Rate  float64 `json:"rate"`
	Shade string  // promoted
}

type floatConflict struct{ Dup float64 }

type floatOther struct{ Dup float64 }

// TestEncodeStructFloats: a float field is written as Python writes it
// (100.0, not 100), so that a typed Python consumer expecting a float gets
// one; everything else is what encoding/json writes for the struct.
func TestEncodeStructFloats(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f := 2.0
	type payload struct {
		floatBase
		floatConflict
		floatOther
		Total   float64            `json:"total"`
		Small   float32            `json:"small"`
		Quoted  float64            `json:"quoted,string"`
		Empty   float64            `json:"empty,omitempty"`
		Ptr     *float64           `json:"ptr"`
		List    []float64          `json:"list"`
		ByName  map[string]float64 `json:"by_name"`
		Any     any                `json:"any"`
		At      time.Time          `json:"at"`
		Note    string             `json:"note"`
		Count   int                `json:"count"`
		Skipped float64            `json:"-"`
		hidden  float64
	}
	p := payload{
		floatBase: floatBase{Rate: 1, Shade: "blue"}, floatConflict: floatConflict{Dup: 1}, floatOther: floatOther{Dup: 2},
		Total: 100, Small: 3, Quoted: 5, Ptr: &f, List: []float64{1, 0.5}, ByName: map[string]float64{"b": 1, "a": math.Copysign(0, -1)},
		Any: 7.0, At: at, Note: "a\u2028b", Count: 3, Skipped: 1, hidden: 1,
	}
	want := `json:{"rate":1.0,"Shade":"blue","total":100.0,"small":3.0,"quoted":"5","ptr":2.0,"list":[1.0,0.5],` +
		`"by_name":{"a":-0.0,"b":1.0},"any":7.0,"at":"2024-05-01T12:00:00Z","note":"a` + "\u2028" + `b","count":3}`
	for name, v := range map[string]any{"value": p, "pointer": &p} {
		got, err := dispatcher.EncodeValue(v)
		if err != nil || got != want {
			t.Errorf("EncodeValue(%s) =\n%s, %v\nwant\n%s", name, got, err, want)
		}
		var back payload
		if err := json.Unmarshal([]byte(got[len("json:"):]), &back); err != nil || back.Total != 100 || back.At != at {
			t.Errorf("encoding/json reads %s back as %+v, %v", got, back, err)
		}
	}
	kv, err := dispatcher.EncodeFields("t", p)
	if err != nil {
		t.Fatal(err)
	}
	fields := pairs(t, kv)
	for k, w := range map[string]string{"total": "json:100.0", "small": "json:3.0", "rate": "json:1.0", "quoted": "5",
		"list": "json:[1.0,0.5]", "at": "2024-05-01T12:00:00Z", "note": "a\u2028b", "count": "json:3", "Shade": "blue"} {
		if fields[k] != w {
			t.Errorf("field %s = %q, want %q", k, fields[k], w)
		}
	}
	if got := seedDecode(t, fields["total"]); !pyEqual(got, pyFloat(100)) {
		t.Errorf("the seed decodes total %q to %#v, want the float 100.0", fields["total"], got)
	}
	if _, ok := fields["Dup"]; ok {
		t.Errorf("field Dup written, encoding/json drops conflicting names: %q", kv)
	}
}

type ptrMarshaler struct{ V float64 }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"by pointer"`), nil }

type textKey struct{ K string }

func (k textKey) MarshalText() ([]byte, error) { return []byte("k-" + k.K), nil }

type hiddenBase struct{ Promoted float64 }

type TaggedBase struct {
	Name float64 `json:"name"`
}

// TestEncodeStructMatchesEncodingJSON: a struct is written with the members
// encoding/json writes, in its order, with the same values (only the form
// of floats and strings differs).
func TestEncodeStructMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	type withEmbedded struct {
		hiddenBase
		*TaggedBase
		Name   string          `json:"name"` // shallower than TaggedBase.Name: wins
		P      ptrMarshaler    `json:"p"`
		PP     *ptrMarshaler   `json:"pp"`
		Keys   map[textKey]int `json:"keys"`
		Bytes  []byte          `json:"bytes"`
		Arr    [2]float32      `json:"arr"`
		Nil    []int           `json:"nil"`
		Zero   time.Time       `json:"zero,omitzero"`
		Raw    json.RawMessage `json:"raw"`
		QNil   *float64        `json:"qnil,string"`
		QStr   string          `json:"qstr,string"`
		Nested struct {
			X float64 `json:"x,omitempty"`
			Y *int    `json:"y"`
		} `json:"nested"`
	}
	v := withEmbedded{hiddenBase: hiddenBase{Promoted: 2}, Name: "n", P: ptrMarshaler{1}, PP: &ptrMarshaler{1},
		Keys: map[textKey]int{{"a"}: 1}, Bytes: []byte("hi"), Arr: [2]float32{1, 0.1}, Raw: json.RawMessage(`{"z": 1.50}`), QStr: "q"}
	type omitted struct {
		B  bool           `json:"b,omitempty"`
		I  int8           `json:"i,omitempty"`
		U  uint           `json:"u,omitempty"`
		F  float64        `json:"f,omitempty"`
		NZ float64        `json:"nz,omitempty"`
		S  string         `json:"s,omitempty"`
		L  []int          `json:"l,omitempty"`
		E  []int          `json:"e,omitempty"`
		M  map[string]int `json:"m,omitempty"`
		A  [0]int         `json:"a,omitempty"`
		P  *int           `json:"p,omitempty"`
		X  any            `json:"x,omitempty"`
		St struct{}       `json:"st,omitempty"` // never left out
		Z  float64        `json:",omitempty,string"`
	}
	one := 1
	cases := map[string]any{
		"value": v, "pointer": &v, "with embedded pointer": withEmbedded{TaggedBase: &TaggedBase{Name: 3}},
		"omitempty, all empty": omitted{NZ: math.Copysign(0, -1), E: []int{}},
		"omitempty, none empty": omitted{B: true, I: -1, U: 1, F: 0.5, NZ: 1, S: "s", L: []int{1}, M: map[string]int{"a": 1},
			P: &one, X: 0, Z: 2},
	}
	for name, x := range cases {
		std, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dispatcher.EncodeValue(x)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := canonical(t, std), canonical(t, []byte(got[len("json:"):])); a != b {
			t.Errorf("%s: encoding/json writes %s\nEncodeValue writes %s", name, std, got)
		}
	}
}

// canonical rewrites JSON with every number as a float64 in Go's form, so
// that two encodings that differ only in the form of numbers compare equal;
// key order is kept.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			return out.String()
		}
		if n, ok := tok.(json.Number); ok {
			f, _ := n.Float64()
			tok = f
		}
		fmt.Fprintf(&out, "%#v ", tok)
	}
}
