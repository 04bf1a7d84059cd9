package dispatcher

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// appendFloat appends f as Python's repr writes it, so that Python decodes a
// float: shortest digits that round-trip (for bitSize 32, those of the
// float32), exponent form when those digits' exponent is below -4 or from 16
// on, else positional with ".0" on integral values.
func appendFloat(buf []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v is not a finite number: JSON cannot carry it", f)
	}
	// A float64 from 1e-4 to below 1e16 has shortest digits with an
	// exponent from -4 to 15: positional without formatting it twice.
	if abs := math.Abs(f); f != 0 && (bitSize != 64 || abs < 1e-4 || abs >= 1e16) {
		var scratch [32]byte
		sci := strconv.AppendFloat(scratch[:0], f, 'e', -1, bitSize)
		if exp, _ := strconv.Atoi(string(sci[bytes.IndexByte(sci, 'e')+1:])); exp < -4 || exp >= 16 {
			return append(buf, sci...), nil
		}
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'f', -1, bitSize)
	if bytes.IndexByte(buf[start:], '.') < 0 {
		buf = append(buf, '.', '0')
	}
	return buf, nil
}
