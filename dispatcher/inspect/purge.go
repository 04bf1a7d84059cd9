package inspect

import (
	"context"
	"fmt"
)

// Purge removes the dead letters of deadStream that f selects (XDEL, a page
// at a time) and returns their IDs. A bad filter removes nothing and returns
// an error wrapping ErrInvalidFilter.
func (in *Inspector) Purge(ctx context.Context, deadStream string, f Filter) ([]string, error) {
	var removed []string
	err := in.scanDead(ctx, deadStream, f, func(page []DeadLetter) error {
		ids := make([]string, len(page))
		for i, d := range page {
			ids[i] = d.ID
		}
		if err := in.rdb.XDel(ctx, deadStream, ids...).Err(); err != nil {
			return fmt.Errorf("inspect: XDEL %s: %w", deadStream, err)
		}
		removed = append(removed, ids...)
		return nil
	})
	return removed, err
}
