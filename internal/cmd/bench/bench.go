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
	unordered, ordered          float64 // msgs/s, 1 ms handler, without and with OrderKey
	singleRaw, singleStreamfx   float64 // msgs/s, sequential
	batchRaw, batchStreamfx     float64 // msgs/s, pipelined
	batchRawJSON                float64 // msgs/s, pipelined, encoding/json in the loop
	dedupPlain, dedupKeyed      float64 // msgs/s, PublishBatch without and with DedupIDs
	perMsg1ms, batch1ms         float64 // msgs/s, 1 ms handler call: per-message route, batch route
	perMsgNoop, batchNoop       float64 // msgs/s, no-op handler: per-message route, batch route
	plainRoute, idemRoute       float64 // msgs/s, Processor with a plain and an idempotent no-op route
	lat                         *latencyStats
	memRaw, memStreamfx         *memDelta
	cpuRaw, cpuStreamfx         time.Duration // least CPU time of the consume runs
	partitioned1, partitioned3  float64       // msgs/s on the cluster: 1 consumer on 1 stream, 3 on 12 partitions
	partitionedSkipped          string        // why the partitioned scenario did not run, if it did not
}

// row is one line of the table.
type row struct {
	scenario string
	msgs     int
	elapsed  time.Duration
	cpu      time.Duration // CPU time of this process, 0 if not measured
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
		{"ordered", b.ordered},
		{"batch", b.batchRoutes},
		{"publish", b.publish},
		{"dedup", b.dedup},
		{"idempotent", b.idempotent},
		{"latency", b.latency},
		{"partitioned", b.partitioned},
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

// memDelta is what the Go heap allocated, and the CPU time this process
// used, during a scenario.
type memDelta struct {
	bytes, allocs uint64
	cpu           time.Duration
	msgs          int
}

// measureMem runs fn and returns the heap allocations it made, a GC first,
// and the CPU time the process used meanwhile.
func measureMem(msgs int, fn func() error) (*memDelta, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu := cpuTime()
	err := fn()
	cpu = cpuTime() - cpu
	runtime.ReadMemStats(&after)
	return &memDelta{bytes: after.TotalAlloc - before.TotalAlloc, allocs: after.Mallocs - before.Mallocs, cpu: cpu, msgs: msgs}, err
}

func (m *memDelta) bytesPerMsg() float64  { return float64(m.bytes) / float64(m.msgs) }
func (m *memDelta) allocsPerMsg() float64 { return float64(m.allocs) / float64(m.msgs) }

// cpuPerMsg returns the process's CPU time per message in microseconds.
func (m *memDelta) cpuPerMsg() float64 { return float64(m.cpu) / 1e3 / float64(m.msgs) }

// warnLogger logs warnings and errors of the Processor to w, so that a
// failing run says why.
func warnLogger(w io.Writer) *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), zapcore.WarnLevel)
	return zap.New(core)
}
