package redisstream

import (
	"go.uber.org/zap"

	"context"
	"github.com/streamfx/streamfx/internal/marker"
)

// lookupCompleted sets the completed routes of entries delivered before
// (reclaimed, or this consumer's own pending entries) from their
// completion markers, in one round trip, so that their idempotent routes
// that completed do not run again (see dispatcher.Idempotent). An entry
// read for the first time has no marker and is not looked up. If the
// lookup fails, every route runs (at least once, as without markers).
func (f *feed) lookupCompleted(ctx context.Context, stream string, entries []entry) {
	var qs []marker.Query
	var at []int
	for i, e := range entries {
		if e.attempts <= 1 {
			continue
		}
		if routes := f.d.IdempotentRoutes(entryType(e)); len(routes) > 0 {
			qs = append(qs, marker.Query{Stream: stream, ID: e.id, Routes: routes})
			at = append(at, i)
		}
	}
	if len(qs) == 0 {
		return
	}
	done, err := f.markers.Completed(ctx, qs)
	if err != nil {
		f.log.Warn("completion markers not read; idempotent routes of redelivered entries run again",
			zap.String("stream", stream), zap.Int("entries", len(qs)), zap.Error(err))
		return
	}
	for k, i := range at {
		entries[i].completed = done[k]
	}
}
