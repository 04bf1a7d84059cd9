package inspect

import (
	"context"
	"strings"
)

// countPage is how many entries one XRANGE of a count reads.
const countPage = 1000

// countRange counts the entries of stream between start and end (XRANGE
// bounds, "(" for an exclusive one), reading pages of countPage IDs, and
// stops at limit: complete is false when it stopped there.
func (in *Inspector) countRange(ctx context.Context, stream, start, end string, limit int64) (n int64, complete bool, err error) {
	for n < limit {
		want := min(countPage, limit-n)
		page, err := in.rdb.XRangeN(ctx, stream, start, end, want).Result()
		if err != nil {
			return n, false, err
		}
		n += int64(len(page))
		if int64(len(page)) < want {
			return n, true, nil
		}
		start = "(" + page[len(page)-1].ID
	}
	// Exactly limit entries counted: complete only if none is left.
	more, err := in.rdb.XRangeN(ctx, stream, start, end, 1).Result()
	return n, err == nil && len(more) == 0, err
}

// isNoSuchKey reports whether err is Redis's reply for a missing stream
// (XINFO on a key that does not exist).
func isNoSuchKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such key")
}
