package dispatchertest

import (
	"context"

	"github.com/streamfx/streamfx/dispatcher"
)

// Run dispatches msgs with d.Process, one after the other on the calling
// goroutine, and returns the outcome of each, in order. It is what a
// Processor does with a batch, without Redis: nothing is acknowledged,
// dead-lettered or redelivered; the outcomes say what would be.
func Run(ctx context.Context, d *dispatcher.Dispatcher, msgs ...*dispatcher.Message) []dispatcher.Outcome {
	out := make([]dispatcher.Outcome, len(msgs))
	for i, m := range msgs {
		out[i] = d.Process(ctx, m)
	}
	return out
}
