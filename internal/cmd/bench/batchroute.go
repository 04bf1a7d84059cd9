package main

import (
	"context"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// batchMax is the MaxBatch of the batch route scenarios.
const batchMax = 500

// batchRoutes runs, on the same data, a batch route (MaxBatch 500) and a
// per-message route at the default Concurrency: with a handler that costs
// 1 ms per call (a simulated bulk insert), then with a no-op handler.
func (b *bench) batchRoutes(ctx context.Context) error {
	n := b.opts.batchN
	for _, s := range []struct {
		name  string
		work  func()
		batch bool
		rate  *float64
	}{
		{"batch-permsg-1ms", sleep1ms, false, &b.res.perMsg1ms},
		{"batch-batch-1ms", sleep1ms, true, &b.res.batch1ms},
		{"batch-permsg-noop", nil, false, &b.res.perMsgNoop},
		{"batch-batch-noop", nil, true, &b.res.batchNoop},
	} {
		run := func(ctx context.Context, stream string, n int) (time.Duration, error) {
			if !s.batch {
				return b.streamfxConsume(ctx, stream, n, 0, s.work)
			}
			return b.batchConsume(ctx, stream, n, s.work)
		}
		d, mem, err := b.onFilledStream(ctx, s.name, n, run)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		*s.rate = rate(n, d)
		b.addRow(batchScenario(s.batch, s.work != nil), n, trials{{d, mem.cpu}}, b.batchNote(s.batch, s.work != nil))
	}
	return nil
}

// batchConsume runs a Processor with one batch route (MaxBatch 500) for
// eventType that calls work (if not nil) once per batch.
func (b *bench) batchConsume(ctx context.Context, stream string, n int, work func()) (time.Duration, error) {
	c := newCounter(n)
	disp := dispatcher.New(dispatcher.Config{})
	disp.OnBatch(eventType, dispatcher.BatchHandlerFunc(func(_ context.Context, msgs []*dispatcher.Message) error {
		if work != nil {
			work()
		}
		c.add(len(msgs))
		return nil
	}), dispatcher.WithMaxBatch(batchMax))
	return b.runProcessor(ctx, stream, 0, "", disp, c)
}

func sleep1ms() { time.Sleep(time.Millisecond) }

// batchScenario names a row of the table.
func batchScenario(batch, slow bool) string {
	handler := "no-op"
	if slow {
		handler = "1 ms/call"
	}
	if batch {
		return fmt.Sprintf("consume streamfx, batch route MaxBatch %d, %s", batchMax, handler)
	}
	return "consume streamfx, per-message route, default Concurrency, " + handler
}

// batchNote compares a batch row with its per-message row.
func (b *bench) batchNote(batch, slow bool) string {
	switch {
	case !batch:
		return "baseline of the next row"
	case slow:
		return fmt.Sprintf("x%.2f per-message (batch_ratio)", b.res.batch1ms/b.res.perMsg1ms)
	default:
		return fmt.Sprintf("x%.2f per-message", b.res.batchNoop/b.res.perMsgNoop)
	}
}
