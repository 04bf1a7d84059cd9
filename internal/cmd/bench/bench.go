package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// bench runs the scenarios and collects their results.
type bench struct {
	opts options
	env  *env
	data *dataset
	res  results
	log  *zap.Logger

	progress io.Writer // one line per scenario as it starts
}

// results are the figures of one run; a rate is zero when its scenario did
// not run.
type results struct {
	rows []row

	consumeRaw, consumeStreamfx float64 // msgs/s
	sleep                       float64 // msgs/s, 1 ms handler
	singleRaw, singleStreamfx   float64 // msgs/s, sequential
	batchRaw, batchStreamfx     float64 // msgs/s, pipelined
	lat                         *latencyStats
	memRaw, memStreamfx         *memDelta
}

// row is one line of the table.
type row struct {
	scenario string
	msgs     int
	elapsed  time.Duration
	note     string
}

// rate returns messages per second.
func (r row) rate() float64 { return float64(r.msgs) / r.elapsed.Seconds() }

// runAll runs the selected scenarios in order.
func (b *bench) runAll(ctx context.Context) error {
	b.log = warnLogger(b.progress)
	defer func() { _ = b.log.Sync() }()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"consume", b.consume},
		{"sleep", b.sleep},
		{"publish", b.publish},
		{"latency", b.latency},
	}
	for _, s := range steps {
		if !b.opts.runs(s.name) {
			continue
		}
		fmt.Fprintf(b.progress, "bench: %s...\n", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
	}
	return nil
}

// bounded runs fn with a context bounded by -timeout.
func (b *bench) bounded(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, b.opts.timeout)
	defer cancel()
	return fn(ctx)
}

// memDelta is what the Go heap allocated during a scenario.
type memDelta struct {
	bytes, allocs uint64
	msgs          int
}

// measureMem runs fn and returns the heap allocations it made, a GC first.
func measureMem(msgs int, fn func() error) (*memDelta, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := fn()
	runtime.ReadMemStats(&after)
	return &memDelta{bytes: after.TotalAlloc - before.TotalAlloc, allocs: after.Mallocs - before.Mallocs, msgs: msgs}, err
}

func (m *memDelta) bytesPerMsg() float64  { return float64(m.bytes) / float64(m.msgs) }
func (m *memDelta) allocsPerMsg() float64 { return float64(m.allocs) / float64(m.msgs) }

// warnLogger logs warnings and errors of the Processor to w, so that a
// failing run says why.
func warnLogger(w io.Writer) *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), zapcore.WarnLevel)
	return zap.New(core)
}
