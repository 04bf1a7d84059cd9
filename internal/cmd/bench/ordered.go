package main

import (
	"context"
	"fmt"
	"time"
)

// orderKey is the ordering key of the ordered scenario: the dataset's
// variants have 1000 customers, so the messages come in turn from 1000
// keys.
const orderKey = "customer_id"

// ordered runs the Processor with a 1 ms handler at -sleep-concurrency,
// without and with OrderKey, on the same N messages, alternating -rounds
// times; it keeps the best run of each.
func (b *bench) ordered(ctx context.Context) error {
	n, conc := b.opts.n, b.opts.sleepConc
	run := func(key string) consumeFunc {
		return func(ctx context.Context, stream string, n int) (time.Duration, error) {
			return b.streamfxConsumeOrdered(ctx, stream, n, conc, key, func() { time.Sleep(time.Millisecond) })
		}
	}
	var plain, keyed trials
	for range b.opts.rounds {
		d, mem, err := b.onFilledStream(ctx, "unordered", n, run(""))
		if err != nil {
			return fmt.Errorf("unordered: %w", err)
		}
		plain = append(plain, trial{d, mem.cpu})
		d, mem, err = b.onFilledStream(ctx, "ordered", n, run(orderKey))
		if err != nil {
			return fmt.Errorf("ordered: %w", err)
		}
		keyed = append(keyed, trial{d, mem.cpu})
	}
	b.res.unordered, b.res.ordered = rate(n, plain.best()), rate(n, keyed.best())
	b.addRow(fmt.Sprintf("consume streamfx, 1 ms handler, Concurrency %d, unordered", conc), n, plain, "baseline")
	b.addRow(fmt.Sprintf("consume streamfx, 1 ms handler, Concurrency %d, OrderKey (1000 keys)", conc), n, keyed,
		fmt.Sprintf("x%.2f unordered%s", b.res.ordered/b.res.unordered, pairedRatios(plain, keyed)))
	return nil
}
