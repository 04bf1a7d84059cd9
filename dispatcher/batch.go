package dispatcher

import (
	"context"
	"fmt"
	"time"
)

// Batch limits applied when a batch route leaves them zero.
const (
	defaultMaxBatch = 100
	defaultMaxWait  = 50 * time.Millisecond
)

// BatchHandler handles many messages of one route in one call: one bulk
// INSERT, one call to a bulk API. The engine gathers messages of the
// route's type read from one stream, up to the route's MaxBatch or for at
// most its MaxWait, and calls HandleBatch once with them, in stream order.
//
// The contract, for each message of msgs:
//   - nil: every message succeeded; each is acknowledged once its other
//     routes are done, as for a Handler.
//   - an error that is or wraps a *BatchError: the messages it names failed,
//     each with its own error, and the others succeeded. A failed message is
//     retried or dead-lettered on its own, exactly as if a Handler had
//     returned that error for it (Permanent is honoured per message).
//   - any other error: every message of the batch failed with it.
//   - a panic: recovered by the Dispatcher; every message of the batch fails
//     with an error that wraps ErrPanic.
//
// A message retried alone (through the RetryScheduler, or by
// Dispatcher.RunRoute) comes back as a batch of one. msgs and its messages
// must not be kept after HandleBatch returns. Handlers must be idempotent:
// delivery is at-least-once.
type BatchHandler interface {
	HandleBatch(ctx context.Context, msgs []*Message) error
}

// BatchHandlerFunc adapts an ordinary function to a BatchHandler.
type BatchHandlerFunc func(ctx context.Context, msgs []*Message) error

// HandleBatch calls f(ctx, msgs).
func (f BatchHandlerFunc) HandleBatch(ctx context.Context, msgs []*Message) error {
	return f(ctx, msgs)
}

// BatchMiddleware wraps the BatchHandler of one batch route; the Dispatcher
// calls it once per batch route, when the route is mounted (see
// Config.BatchMiddleware). It returns next to leave the route alone.
type BatchMiddleware func(r Route, next BatchHandler) BatchHandler

// TypedBatch adapts a function that takes decoded payloads. Each message is
// decoded into a fresh T with Message.Decode; a message that does not
// decode fails alone with a permanent error (it goes to the dead-letter
// stream) and is left out of the call. fn gets the others, msgs[i] with
// payloads[i]; the indices of a *BatchError it returns refer to those
// slices. fn is not called when no message decoded.
func TypedBatch[T any](fn func(ctx context.Context, msgs []*Message, payloads []T) error) BatchHandler {
	return BatchHandlerFunc(func(ctx context.Context, msgs []*Message) error {
		payloads := make([]T, 0, len(msgs))
		decoded := msgs[:0:0] // the messages passed to fn
		var failed BatchError
		index := make([]int, 0, len(msgs)) // index[j]: position in msgs of decoded[j]
		for i, m := range msgs {
			var v T
			if err := m.Decode(&v); err != nil {
				failed.Fail(i, Permanent(err))
				continue
			}
			decoded, payloads, index = append(decoded, m), append(payloads, v), append(index, i)
		}
		if len(failed.Items) == 0 {
			return fn(ctx, msgs, payloads)
		}
		if len(decoded) == 0 {
			return failed.Err()
		}
		for j, err := range SplitBatchError(fn(ctx, decoded, payloads), len(decoded)) {
			failed.Fail(index[j], err)
		}
		return failed.Err()
	})
}

// WithMaxBatch sets the most messages a batch route gets in one call. If
// not set, 100. It panics at registration if n is negative or the route is
// not a batch route.
func WithMaxBatch(n int) RouteOption {
	return routeOptionFunc(func(r *Route) { r.MaxBatch = n })
}

// WithMaxWait sets how long a batch route's first message may wait for
// more before the batch runs anyway. If not set, 50ms. It panics at
// registration if d is negative or the route is not a batch route.
func WithMaxWait(d time.Duration) RouteOption {
	return routeOptionFunc(func(r *Route) { r.MaxWait = d })
}

// batchOfOne is the Handler of a batch route: it runs the route's
// BatchHandler with a batch of one message (a retry, Dispatcher.Handle).
type batchOfOne struct{ batch BatchHandler }

// Handle runs the batch handler for msg alone and returns msg's error.
func (h batchOfOne) Handle(ctx context.Context, msg *Message) error {
	if errs := SplitBatchError(h.batch.HandleBatch(ctx, []*Message{msg}), 1); errs != nil {
		return errs[0]
	}
	return nil
}

// checkBatch reports a batch setting that does not fit r.
func checkBatch(r Route) error {
	switch {
	case r.Batch == nil && (r.MaxBatch != 0 || r.MaxWait != 0):
		return fmt.Errorf("dispatcher: MaxBatch or MaxWait set on a route of type %q (name %q) that is not a batch route", r.Type, r.Name)
	case r.MaxBatch < 0 || r.MaxWait < 0:
		return fmt.Errorf("dispatcher: negative MaxBatch (%d) or MaxWait (%v) on a batch route of type %q (name %q)", r.MaxBatch, r.MaxWait, r.Type, r.Name)
	}
	return nil
}

// BatchLimits bound the batches of one event type: the engine runs a
// batch once it holds MaxBatch messages or its first message waited
// MaxWait, whichever comes first.
type BatchLimits struct {
	// MaxBatch is the most messages of one batch.
	MaxBatch int
	// MaxWait is how long the first message of a batch may wait.
	MaxWait time.Duration
}

// with returns l narrowed by batch route r: the smallest limits of the
// type's batch routes win.
func (l BatchLimits) with(r *Route) BatchLimits {
	if l.MaxBatch == 0 || r.MaxBatch < l.MaxBatch {
		l.MaxBatch = r.MaxBatch
	}
	if l.MaxWait == 0 || r.MaxWait < l.MaxWait {
		l.MaxWait = r.MaxWait
	}
	return l
}

// normalise checks a route passed to Dispatcher.Add and fills in what a
// batch route leaves zero: its Handler and its limits.
func normalise(r *Route) error {
	if r.Type == "" || (r.Handler == nil && r.Batch == nil) {
		return fmt.Errorf("dispatcher: route %q needs an event type and a handler", r.Name)
	}
	if err := checkBatch(*r); err != nil {
		return err
	}
	if r.Batch == nil {
		return nil
	}
	if r.Handler == nil {
		r.Handler = batchOfOne{r.Batch}
	}
	if r.MaxBatch == 0 {
		r.MaxBatch = defaultMaxBatch
	}
	if r.MaxWait == 0 {
		r.MaxWait = defaultMaxWait
	}
	return nil
}
