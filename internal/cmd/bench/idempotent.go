package main

import (
	"context"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/slotkey"
)

// idempotent measures the Processor with an idempotent no-op route, which
// writes a completion marker per message, against the same with a plain
// no-op route, on the same N messages, each run on a fresh stream,
// alternating -rounds times and keeping the best run of each. The
// markers are deleted after each run.
func (b *bench) idempotent(ctx context.Context) error {
	n := b.opts.n
	run := func(opts ...dispatcher.RouteOption) consumeFunc {
		return func(ctx context.Context, stream string, n int) (time.Duration, error) {
			defer b.dropMatching(context.WithoutCancel(ctx), slotkey.Prefix(stream)+":done:*")
			return b.streamfxConsumeOrdered(ctx, stream, n, 0, "", nil, opts...)
		}
	}
	var plain, idem trials
	for range b.opts.rounds {
		d, mem, err := b.onFilledStream(ctx, "consume-plain-route", n, run())
		if err != nil {
			return fmt.Errorf("plain route: %w", err)
		}
		plain = append(plain, trial{d, mem.cpu})
		d, mem, err = b.onFilledStream(ctx, "consume-idempotent-route", n, run(dispatcher.Idempotent()))
		if err != nil {
			return fmt.Errorf("idempotent route: %w", err)
		}
		idem = append(idem, trial{d, mem.cpu})
	}
	b.res.plainRoute, b.res.idemRoute = rate(n, plain.best()), rate(n, idem.best())
	b.addRow("consume streamfx, plain no-op route", n, plain, "baseline")
	b.addRow("consume streamfx, idempotent no-op route", n, idem,
		fmt.Sprintf("x%.2f plain%s", b.res.idemRoute/b.res.plainRoute, pairedRatios(plain, idem)))
	return nil
}
