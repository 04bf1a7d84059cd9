package demo

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// The streamfx counters the demo checks, each summed over its labels.
const (
	handledTotal      = "streamfx_messages_handled_total"
	retriedTotal      = "streamfx_messages_retried_total"
	deadLetteredTotal = "streamfx_messages_dead_lettered_total"
)

// checkMetrics waits until the streamfx metrics count what the demo saw:
// the route runs handled, the retries and the dead letters. The metrics
// middleware runs outside the Recorder's, and the engine reports an outcome
// after acting on it, so the counters may lag a moment behind.
func (d *Demo) checkMetrics(ctx context.Context, deadLettered int) error {
	if d.p.Metrics == nil {
		return nil
	}
	s := d.p.Recorder.Snapshot()
	want := map[string]int{handledTotal: s.Handled(""), retriedTotal: s.Retried(""), deadLetteredTotal: deadLettered}
	for {
		got, err := d.sums()
		if err != nil {
			return fmt.Errorf("demo: gather metrics: %w", err)
		}
		diff := ""
		for _, n := range []string{handledTotal, retriedTotal, deadLetteredTotal} {
			if got[n] != want[n] && diff == "" {
				diff = fmt.Sprintf("metric %s is %d, the demo saw %d", n, got[n], want[n])
			}
		}
		if diff == "" {
			d.log.Info("metrics agree with what the demo saw", zap.Int(handledTotal, got[handledTotal]),
				zap.Int(retriedTotal, got[retriedTotal]), zap.Int(deadLetteredTotal, got[deadLetteredTotal]))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: outcome missing: %s: %w", diff, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sums returns the value of every counter, summed over its labels.
func (d *Demo) sums() (map[string]int, error) {
	families, err := d.p.Metrics.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if c := m.GetCounter(); c != nil {
				out[f.GetName()] += int(c.GetValue())
			}
		}
	}
	return out, nil
}
