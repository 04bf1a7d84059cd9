package dispatcher

import (
	"context"
	"runtime/debug"
)

// BatchLimits returns the limits of eventType's batches and true if a
// mounted route of that type is a batch route (with several, the smallest
// MaxBatch and the smallest MaxWait). An engine gathers the messages of
// such a type, read from one stream, and hands them to ProcessBatch.
func (d *Dispatcher) BatchLimits(eventType string) (BatchLimits, bool) {
	l, ok := d.table.Load().batch[eventType]
	return l, ok
}

// ProcessBatch dispatches msgs, messages of one stream, and returns the
// outcome of each, in order, as Process would for each alone. Each plain
// route runs once per message; each batch route runs once, for the
// messages of its type that pass its filter, and its error is spread over
// them (see BatchHandler). The outcome of a message then follows from its
// own failures only, with the rules of Process: a failed message is
// retried (each failed route scheduled on its own) or dead-lettered alone,
// and the others are acknowledged. A message whose type differs from the
// first message's is processed alone with Process.
func (d *Dispatcher) ProcessBatch(ctx context.Context, msgs []*Message) []Outcome {
	outs := make([]Outcome, len(msgs))
	if len(msgs) == 0 {
		return outs
	}
	eventType := msgs[0].Type
	routes := d.table.Load().byType[eventType]
	group := make([]*Message, 0, len(msgs)) // the messages of eventType
	at := make([]int, 0, len(msgs))         // at[j]: index in msgs of group[j]
	for i, m := range msgs {
		if eventType == "" || len(routes) == 0 || m.Type != eventType {
			outs[i] = d.Process(ctx, m)
			continue
		}
		group, at = append(group, m), append(at, i)
	}
	for _, r := range routes {
		if r.Batch == nil {
			for j, m := range group {
				ran, err := runRoute(ctx, r, m)
				outs[at[j]].record(r, ran, err)
			}
			continue
		}
		runBatchRoute(ctx, r, group, func(j int, ran bool, err error) { outs[at[j]].record(r, ran, err) })
	}
	for j, m := range group {
		if o := &outs[at[j]]; len(o.Failures) > 0 {
			*o = d.settle(ctx, m, *o)
		}
	}
	return outs
}

// record adds the result of route r for one message to o.
func (o *Outcome) record(r *Route, ran bool, err error) {
	switch {
	case err != nil:
		o.Failures = append(o.Failures, RouteFailure{Route: r.Name, Err: err})
	case ran:
		o.Handled++
		if r.Idempotent {
			o.Completed = append(o.Completed, r.Name)
		}
	}
}

// runBatchRoute runs batch route r once for the messages of group that
// pass its filter and calls result for each message of group: ran is false
// for a message the filter skipped.
func runBatchRoute(ctx context.Context, r *Route, group []*Message, result func(j int, ran bool, err error)) {
	batch := group
	var at []int // at[k]: index in group of batch[k]; nil when batch is group
	if r.Filter != nil {
		batch, at = nil, make([]int, 0, len(group))
		for j, m := range group {
			pass, err := runFilter(r, m)
			switch {
			case err != nil:
				result(j, true, err)
			case !pass:
				result(j, false, nil)
			default:
				batch, at = append(batch, m), append(at, j)
			}
		}
	}
	if len(batch) == 0 {
		return
	}
	errs := SplitBatchError(handleBatch(ctx, r.Batch, batch), len(batch))
	for k := range batch {
		j := k
		if at != nil {
			j = at[k]
		}
		var err error
		if errs != nil {
			err = errs[k]
		}
		result(j, true, err)
	}
}

// handleBatch calls h, turning a panic into an error that fails the batch.
func handleBatch(ctx context.Context, h BatchHandler, msgs []*Message) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = NewPanicError(v, debug.Stack())
		}
	}()
	return h.HandleBatch(ctx, msgs)
}

// runFilter runs r's filter for msg, turning a panic into an error.
func runFilter(r *Route, msg *Message) (pass bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = NewPanicError(v, debug.Stack())
		}
	}()
	return r.Filter(msg), nil
}
