package inspect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// streamID is a parsed stream entry ID, "<ms>-<seq>".
type streamID struct {
	ms, seq uint64
}

// parseID parses a full or partial stream ID. A partial ID "<ms>" takes seq
// as its sequence number (0 for the start of a range, math.MaxUint64 for
// its end).
func parseID(s string, seq uint64) (streamID, error) {
	msPart, seqPart, full := strings.Cut(s, "-")
	ms, err := strconv.ParseUint(msPart, 10, 64)
	if err != nil {
		return streamID{}, fmt.Errorf("%w: %q is not a stream ID (<ms>-<seq> or <ms>)", ErrInvalidFilter, s)
	}
	if full {
		if seq, err = strconv.ParseUint(seqPart, 10, 64); err != nil {
			return streamID{}, fmt.Errorf("%w: %q is not a stream ID (<ms>-<seq> or <ms>)", ErrInvalidFilter, s)
		}
	}
	return streamID{ms: ms, seq: seq}, nil
}

// String formats the ID as Redis does.
func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

// less reports whether id sorts before o.
func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

// IDTime returns the time encoded in a stream entry ID (its milliseconds
// part), or the zero time if id is not a stream ID.
func IDTime(id string) time.Time {
	p, err := parseID(id, 0)
	if err != nil || p.ms > math.MaxInt64 {
		return time.Time{}
	}
	return time.UnixMilli(int64(p.ms))
}
