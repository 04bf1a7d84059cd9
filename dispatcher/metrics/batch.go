package metrics

import (
	"context"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// BatchMiddleware returns the batch middleware that measures the batches of
// a batch route: their size in streamfx_batch_size, the duration of each
// call in handler_duration_seconds (one run of the route), and, message by
// message, messages_handled_total or messages_failed_total (a
// *dispatcher.BatchError fails only the messages it names; another error or
// a panic fails them all). Install it in dispatcher.Config.BatchMiddleware,
// beside Middleware, which measures a message of a batch route run alone (a
// retry).
func (m *Metrics) BatchMiddleware() dispatcher.BatchMiddleware {
	return func(r dispatcher.Route, next dispatcher.BatchHandler) dispatcher.BatchHandler {
		m.remember(r.Name, r.Type)
		rh := &routeHandler{m: m, eventType: r.Type, route: r.Name}
		rh.bySource.Store(&map[source]*streamObservers{})
		return &batchHandler{route: rh, next: next}
	}
}

// batchHandler measures one mounted batch route.
type batchHandler struct {
	route *routeHandler // its series, per source
	next  dispatcher.BatchHandler
}

// HandleBatch runs the batch and records its size, duration and results.
func (h *batchHandler) HandleBatch(ctx context.Context, msgs []*dispatcher.Message) (err error) {
	if len(msgs) == 0 {
		return h.next.HandleBatch(ctx, msgs)
	}
	src := source{msgs[0].ConsumerGroup, msgs[0].Stream}
	obs := h.route.observers(src)
	h.route.m.batchSize.WithLabelValues(src.group, src.stream, h.route.eventType, h.route.route).Observe(float64(len(msgs)))
	start := time.Now()
	returned := false
	defer func() {
		obs.duration.Observe(time.Since(start).Seconds())
		failed := len(msgs) // all of them if next panicked
		if returned {
			failed = 0
			for _, e := range dispatcher.SplitBatchError(err, len(msgs)) {
				if e != nil {
					failed++
				}
			}
		}
		obs.failed.Add(float64(failed))
		obs.handled.Add(float64(len(msgs) - failed))
	}()
	err = h.next.HandleBatch(ctx, msgs)
	returned = true
	return err
}
