package dispatcher_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// zeroByPointer has an IsZero method on its pointer, which encoding/json's
// omitzero calls.
type zeroByPointer struct{ N int }

func (z *zeroByPointer) IsZero() bool { return z.N == 42 }

// tree holds itself through a slice and a pointer.
type tree struct {
	Name     string  `json:"name"`
	Weight   float64 `json:"weight"`
	Children []tree  `json:"children,omitempty"`
	Parent   *tree   `json:"parent,omitempty"`
}

// TestEncoderMatchesPackageFunctions: an Encoder that has seen a type
// writes what EncodeFields and EncodeValue write, on its first and later
// calls, from many goroutines at once.
func TestEncoderMatchesPackageFunctions(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	type omitZero struct {
		ByPtr zeroByPointer  `json:"by_ptr,omitzero"`
		Ptr   *zeroByPointer `json:"ptr,omitzero"`
		Iface any            `json:"iface,omitzero"`
		At    time.Time      `json:"at,omitzero"`
	}
	payloads := []any{
		orderPaid{OrderID: "o-1", Amount: 3, Ratio: 100, Ship: &address{City: "Zürich", Lines: []string{"a\u2028b"}}},
		&orderPaid{OrderID: "json:o-2", Tags: map[string]string{"b": "1", "a": "2"}, Raw: "1e400"},
		tree{Name: "root", Weight: 1, Children: []tree{{Name: "leaf", Weight: 0.5}}},
		omitZero{ByPtr: zeroByPointer{42}, Ptr: &zeroByPointer{1}, At: at},
		&omitZero{ByPtr: zeroByPointer{42}, Iface: 2.0},
		map[string]float64{"x": 1, "a": 2.5},
		map[string]any{"s": "v", "n": []any{1.0, map[string]any{"t": tree{Name: "n"}}}},
		json.RawMessage(`{"z": 1.50, "a": "\u2028"}`),
	}
	var e dispatcher.Encoder
	var wg sync.WaitGroup
	for range 4 {
		for _, p := range payloads {
			wg.Go(func() {
				wantFields, err1 := dispatcher.EncodeFields("t", p)
				gotFields, err2 := e.EncodeFields("t", p)
				if err1 != nil || err2 != nil || !slices.Equal(gotFields, wantFields) {
					t.Errorf("%T: Encoder.EncodeFields = %q, %v\nEncodeFields = %q, %v", p, gotFields, err2, wantFields, err1)
				}
				want, err1 := dispatcher.EncodeValue(p)
				got, err2 := e.EncodeValue(p)
				if err1 != nil || err2 != nil || got != want {
					t.Errorf("%T: Encoder.EncodeValue = %q, %v\nEncodeValue = %q, %v", p, got, err2, want, err1)
				}
			})
		}
	}
	wg.Wait()
	// omitzero as encoding/json decides it: by the pointer's IsZero
	// (42 is zero), a nil interface, the zero time.
	std, err := json.Marshal(&omitZero{ByPtr: zeroByPointer{42}, Ptr: &zeroByPointer{1}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.EncodeValue(&omitZero{ByPtr: zeroByPointer{42}, Ptr: &zeroByPointer{1}})
	if err != nil || got != "json:"+string(std) {
		t.Errorf("omitzero: EncodeValue = %s, %v; encoding/json writes %s", got, err, std)
	}
}

// TestEncodeCycle: a value that contains itself fails with ErrEncode, as
// encoding/json refuses it, instead of overflowing the stack.
func TestEncodeCycle(t *testing.T) {
	t.Parallel()
	loop := &tree{Name: "loop"}
	loop.Parent = loop
	m := map[string]any{}
	m["m"] = m
	for name, v := range map[string]any{"pointer": loop, "map[string]any": m, "slice": []any{m}} {
		var e dispatcher.Encoder
		_, err := e.EncodeValue(v)
		if !errors.Is(err, dispatcher.ErrEncode) || !strings.Contains(err.Error(), "cycle") {
			t.Errorf("%s: EncodeValue = %v, want an ErrEncode error naming a cycle", name, err)
		}
		if _, err := dispatcher.EncodeFields("t", map[string]any{"v": v}); !errors.Is(err, dispatcher.ErrEncode) {
			t.Errorf("%s: EncodeFields = %v, want ErrEncode", name, err)
		}
	}
}
