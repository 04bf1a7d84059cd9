package dispatcher_test

import (
	"encoding/json"
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
		Total: 100, Small: 3, Quoted: 5, Ptr: &f, List: []float64{1, 0.5}, ByName: map[string]float64{"b": 1, "a": -0.0},
		Any: 7.0, At: at, Note: "a\u2028b", Count: 3, Skipped: 1, hidden: 1,
	}
	want := `json:{"rate":1.0,"Shade":"blue","total":100.0,"small":3.0,"quoted":"5","ptr":2.0,"list":[1.0,0.5],` +
		`"by_name":{"a":0.0,"b":1.0},"any":7.0,"at":"2024-05-01T12:00:00Z","note":"a` + "\u2028" + `b","count":3}`
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
