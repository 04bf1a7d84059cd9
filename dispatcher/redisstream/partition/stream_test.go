package partition

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vectors is testdata/vectors.json, written by testdata/vectors.py with the
// Python functions of the README.
type vectors struct {
	CRC16 int `json:"crc16_123456789"`
	Of    []struct {
		Key        string `json:"key"`
		Partitions int    `json:"partitions"`
		Partition  int    `json:"partition"`
	} `json:"partition_of"`
	Streams []struct {
		Name       string   `json:"name"`
		Partitions int      `json:"partitions"`
		Keys       []string `json:"keys"`
	} `json:"streams"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Of) == 0 || len(v.Streams) == 0 {
		t.Fatal("testdata/vectors.json has no vectors")
	}
	return v
}

// TestPythonVectors checks Go against what Python's zlib.crc32 and
// binascii.crc_hqx compute: the partition of a key and the partitions'
// stream names.
func TestPythonVectors(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	if got := int(crc16("123456789")); got != v.CRC16 || got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#x, want %#x (Python) and 0x31c3 (CRC-16/XMODEM check value)", got, v.CRC16)
	}
	for _, c := range v.Of {
		if got := Of(c.Key, c.Partitions); got != c.Partition {
			t.Errorf("Of(%q, %d) = %d, want %d as Python computes it", c.Key, c.Partitions, got, c.Partition)
		}
	}
	for _, c := range v.Streams {
		s, err := New(c.Name, c.Partitions)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Keys(); strings.Join(got, " ") != strings.Join(c.Keys, " ") {
			t.Errorf("New(%q, %d).Keys() = %q, want %q as Python computes them", c.Name, c.Partitions, got, c.Keys)
		}
	}
}

// TestReadmeHasPythonFunctions checks that the README shows the Python
// functions the vectors were computed with, verbatim.
func TestReadmeHasPythonFunctions(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/vectors.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"def partition_of(", "def partition_streams("} {
		start := strings.Index(string(script), fn)
		if start < 0 {
			t.Fatalf("testdata/vectors.py has no %s", fn)
		}
		body, _, _ := strings.Cut(string(script[start:]), "\n\n\n")
		if !strings.Contains(string(readme), body) {
			t.Errorf("README.md does not show, verbatim, this function of testdata/vectors.py:\n%s", body)
		}
	}
}

// TestSpread checks the naming rule for partition counts up to the maximum: partition i
// of P lies in the middle half of the i-th of P equal slot ranges, and its
// dead-letter stream and per-group keys share its slot.
func TestSpread(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"orders", "o", "tenant.events:v2"} {
		for _, p := range []int{1, 2, 3, 5, 7, 12, 16, 31, 64, 100, MaxPartitions} {
			s, err := New(name, p)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p {
				slot := Slot(s.Key(i))
				lo, hi := (4*i+1)*Slots/(4*p), (4*i+3)*Slots/(4*p)
				if slot < lo || slot > hi {
					t.Fatalf("%s: partition %d of %d in slot %d, want %d to %d", name, i, p, slot, lo, hi)
				}
				for _, k := range []string{s.DeadLetter(i), s.leaseKey(i, "g{x}"), s.tokenKey(i, "g")} {
					if Slot(k) != slot {
						t.Fatalf("%s is in slot %d, its partition %s in %d", k, Slot(k), s.Key(i), slot)
					}
				}
			}
		}
	}
}

// TestSlotHashTags checks Slot's hash tag rule on the cases Redis documents.
func TestSlotHashTags(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, same string }{
		{"{user1000}.following", "user1000"},
		{"foo{}{bar}", "foo{}{bar}"}, // empty first tag: whole key
		{"foo{{bar}}zap", "{bar"},    // tag is "{bar"
		{"foo{bar}{zap}", "bar"},     // first tag only
		{"no-tag", "no-tag"},         // whole key
		{"open{only", "open{only"},   // no closing brace: whole key
		{"orders:{orders-0-63}:dead", "orders-0-63"},
	}
	for _, tt := range tests {
		if got, want := Slot(tt.key), int(crc16(tt.same))%Slots; got != want {
			t.Errorf("Slot(%q) = %d, want %d (the slot of %q)", tt.key, got, want, tt.same)
		}
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		p    int
	}{{"", 3}, {"a{b", 3}, {"a}b", 3}, {"orders", 0}, {"orders", -1}, {"orders", MaxPartitions + 1}} {
		if _, err := New(c.name, c.p); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(%q, %d) error = %v, want ErrInvalid", c.name, c.p, err)
		}
	}
}

func TestOfPanicsWithoutPartitions(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Of(key, 0) did not panic")
		}
	}()
	Of("k", 0)
}
