package dispatcher_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// reprFloat is Python's repr of f, formatted the plain way: strconv's
// shortest digits in exponent form below 1e-4 and from 1e16 on, positional
// otherwise, ".0" added to integral values.
func reprFloat(f float64, bitSize int) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, bitSize)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, bitSize)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// TestEncodeFloatMatchesRepr compares the float encoder with reprFloat on
// the edges of the positional range and on random bit patterns.
func TestEncodeFloatMatchesRepr(t *testing.T) {
	t.Parallel()
	floats := []float64{1, -1, 0.5, 1e-4, 9.9999e-5, 1e-5, 0.00012345, 1e15, 1e16, 9999999999999998,
		1.5e16, 123456789012345.6, 1042.5, 499.75, 1000, 100, 10, 0.1, 1.0 / 3, math.MaxFloat64,
		math.SmallestNonzeroFloat64, -2.5e-3, 4503599627370496.5, 5e-324}
	r := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		if f := math.Float64frombits(r.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
			floats = append(floats, f)
		}
		floats = append(floats, r.NormFloat64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	for _, f := range floats {
		if got, err := dispatcher.EncodeValue(f); err != nil || got != "json:"+reprFloat(f, 64) {
			t.Fatalf("EncodeValue(%v) = %q, %v; want json:%s", f, got, err, reprFloat(f, 64))
		}
		f32 := float32(f)
		if math.IsInf(float64(f32), 0) {
			continue
		}
		if got, err := dispatcher.EncodeValue(f32); err != nil || got != "json:"+reprFloat(float64(f32), 32) {
			t.Fatalf("EncodeValue(float32 %v) = %q, %v; want json:%s", f32, got, err, reprFloat(float64(f32), 32))
		}
	}
}
