package dispatcher

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

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
