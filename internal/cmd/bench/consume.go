package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// group is the consumer group of every consume scenario.
const group = "bench"

// consumeFunc consumes n messages from stream and returns how long it took.
type consumeFunc func(ctx context.Context, stream string, n int) (time.Duration, error)

// consume runs the raw loop and the Processor with a no-op route on the
// same N messages, each run on a fresh stream, alternating -rounds times;
// it keeps the best run of each and the heap allocations of the last.
func (b *bench) consume(ctx context.Context) error {
	n := b.opts.n
	noop := func(ctx context.Context, stream string, n int) (time.Duration, error) {
		return b.streamfxConsume(ctx, stream, n, 0, nil)
	}
	var raw, sfx trials
	for range b.opts.rounds {
		d, mem, err := b.onFilledStream(ctx, "consume-raw", n, b.rawConsume)
		if err != nil {
			return fmt.Errorf("raw loop: %w", err)
		}
		raw, b.res.memRaw = append(raw, trial{d, mem.cpu}), mem
		d, mem, err = b.onFilledStream(ctx, "consume-streamfx", n, noop)
		if err != nil {
			return fmt.Errorf("streamfx: %w", err)
		}
		sfx, b.res.memStreamfx = append(sfx, trial{d, mem.cpu}), mem
	}
	b.res.consumeRaw, b.res.consumeStreamfx = rate(n, raw.best()), rate(n, sfx.best())
	b.res.cpuRaw, b.res.cpuStreamfx = raw.cpu(), sfx.cpu()
	b.addRow(fmt.Sprintf("consume raw go-redis (COUNT %d, 1 XACK/batch)", b.opts.readBatch), n, raw, "baseline")
	b.addRow(fmt.Sprintf("consume streamfx (BatchSize %d, default Concurrency, no-op)", b.opts.readBatch), n, sfx,
		fmt.Sprintf("x%.2f raw%s", b.res.consumeStreamfx/b.res.consumeRaw, pairedRatios(raw, sfx)))
	return nil
}

// sleep runs the Processor with a handler that sleeps 1 ms, once.
func (b *bench) sleep(ctx context.Context) error {
	n := b.opts.n
	d, mem, err := b.onFilledStream(ctx, "sleep", n, func(ctx context.Context, stream string, n int) (time.Duration, error) {
		return b.streamfxConsume(ctx, stream, n, b.opts.sleepConc, func() { time.Sleep(time.Millisecond) })
	})
	if err != nil {
		return err
	}
	b.res.sleep = rate(n, d)
	ideal := float64(b.opts.sleepConc) * 1000
	b.addRow(fmt.Sprintf("consume streamfx, 1 ms handler, Concurrency %d", b.opts.sleepConc), n, trials{{d, mem.cpu}},
		fmt.Sprintf("%.0f%% of %d x 1000/s", 100*b.res.sleep/ideal, b.opts.sleepConc))
	return nil
}

// onFilledStream fills a fresh stream with n messages, creates the group,
// then runs fn under -timeout, measuring its heap allocations. The stream
// is deleted afterwards.
func (b *bench) onFilledStream(ctx context.Context, name string, n int, fn consumeFunc) (time.Duration, *memDelta, error) {
	stream := b.env.key(name)
	defer b.env.drop(context.WithoutCancel(ctx), stream)
	if err := b.data.fill(ctx, b.env.rdb, stream, n); err != nil {
		return 0, nil, err
	}
	if err := createGroup(ctx, b.env.rdb, stream, group); err != nil {
		return 0, nil, err
	}
	var d time.Duration
	mem, err := measureMem(n, func() error {
		return b.bounded(ctx, func(ctx context.Context) error {
			return labelled(ctx, name, func(ctx context.Context) (err error) {
				d, err = fn(ctx, stream, n)
				return err
			})
		})
	})
	return d, mem, err
}

// rawConsume is the hand-written loop: XREADGROUP COUNT readBatch, look at
// each message's type, one XACK per batch, until n messages are acked.
func (b *bench) rawConsume(ctx context.Context, stream string, n int) (time.Duration, error) {
	rdb := b.env.rdb
	start := time.Now()
	for got := 0; got < n; {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: "raw", Streams: []string{stream, ">"},
			Count: int64(b.opts.readBatch), Block: 100 * time.Millisecond,
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("after %d messages: %w", got, err)
		}
		msgs := res[0].Messages
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			if m.Values[dispatcher.TypeField] != eventType {
				return 0, fmt.Errorf("message %s: unexpected type %v", m.ID, m.Values[dispatcher.TypeField])
			}
			ids[i] = m.ID
		}
		if err := rdb.XAck(ctx, stream, group, ids...).Err(); err != nil {
			return 0, err
		}
		got += len(msgs)
	}
	d := time.Since(start)
	return d, waitAcked(ctx, rdb, stream, group)
}

// streamfxConsume runs a Processor with one route for eventType that calls
// work (if not nil), until n messages were handled and none is pending. It
// fails if a message was handled twice. concurrency 0 means the default.
func (b *bench) streamfxConsume(ctx context.Context, stream string, n, concurrency int, work func()) (time.Duration, error) {
	return b.streamfxConsumeOrdered(ctx, stream, n, concurrency, "", work)
}

// streamfxConsumeOrdered is streamfxConsume with orderKey, if not empty, as
// the Processor's OrderKey.
func (b *bench) streamfxConsumeOrdered(ctx context.Context, stream string, n, concurrency int, orderKey string, work func(), opts ...dispatcher.RouteOption) (d time.Duration, err error) {
	c := newCounter(n)
	disp := dispatcher.New(dispatcher.Config{})
	disp.OnFunc(eventType, func(context.Context, *dispatcher.Message) error {
		if work != nil {
			work()
		}
		c.add(1)
		return nil
	}, opts...)
	return b.runProcessor(ctx, stream, concurrency, orderKey, disp, c)
}

// counter counts handled messages and closes all once n were.
type counter struct {
	n       int64
	handled atomic.Int64
	all     chan struct{}
}

func newCounter(n int) *counter { return &counter{n: int64(n), all: make(chan struct{})} }

// add counts k more handled messages.
func (c *counter) add(k int) {
	if h := c.handled.Add(int64(k)); h >= c.n && h-int64(k) < c.n {
		close(c.all)
	}
}

// runProcessor runs a Processor with disp (ordered by orderKey, unless it
// is empty) until c counted its n messages and none is pending. It fails if
// a message was handled twice.
func (b *bench) runProcessor(ctx context.Context, stream string, concurrency int, orderKey string, disp *dispatcher.Dispatcher, c *counter) (d time.Duration, err error) {
	n, handled, all := c.n, &c.handled, c.all
	p, err := redisstream.NewProcessor(b.env.rdb, disp, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: group, Consumer: "streamfx",
		BatchSize: b.opts.readBatch, Concurrency: concurrency, Block: 100 * time.Millisecond, Logger: b.log,
		OrderKey: orderKey,
	})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := p.Start(ctx); err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, shutdown(p)) }()
	select {
	case <-all:
	case <-p.Done():
		return 0, fmt.Errorf("processor stopped after %d of %d messages: %v", handled.Load(), n, p.Err())
	case <-ctx.Done():
		return 0, fmt.Errorf("%d of %d messages handled: %w", handled.Load(), n, ctx.Err())
	}
	if err := waitAcked(ctx, b.env.rdb, stream, group); err != nil {
		return 0, err
	}
	d = time.Since(start)
	if h := handled.Load(); h != n {
		return 0, fmt.Errorf("%d handler runs for %d messages", h, n)
	}
	return d, nil
}

// shutdown stops p within 10 seconds.
func shutdown(p *redisstream.Processor) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// labelled runs fn with the pprof label scenario=name, which goroutines
// started by fn inherit: `go tool pprof -tagfocus scenario=consume-streamfx`
// shows one scenario of a -cpuprofile.
func labelled(ctx context.Context, name string, fn func(context.Context) error) (err error) {
	pprof.Do(ctx, pprof.Labels("scenario", name), func(ctx context.Context) { err = fn(ctx) })
	return err
}

// rate returns messages per second.
func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// addRow appends a line to the table: the best of runs, their range of
// rates in the note when there are several.
func (b *bench) addRow(scenario string, msgs int, runs trials, note string) {
	if len(runs) > 1 {
		note = fmt.Sprintf("%s (best of %d: %s)", note, len(runs), runs.rates(msgs))
	}
	b.res.rows = append(b.res.rows, row{scenario: scenario, msgs: msgs, elapsed: runs.best(), cpu: runs.cpu(), note: note})
}

// trial is one run of a scenario: its duration, and the CPU time this
// process used meanwhile (0 if not measured).
type trial struct{ wall, cpu time.Duration }

// trials are the runs of one scenario.
type trials []trial

// best returns the shortest run: other load on the machine only slows a
// run down.
func (t trials) best() time.Duration {
	return slices.MinFunc(t, func(a, b trial) int { return cmp.Compare(a.wall, b.wall) }).wall
}

// cpu returns the least CPU time of the runs: CPU time too grows with the
// load of the machine (caches, frequency).
func (t trials) cpu() time.Duration {
	return slices.MinFunc(t, func(a, b trial) int { return cmp.Compare(a.cpu, b.cpu) }).cpu
}

// pairedRatios describes the ratios of the runs of a scenario to the
// baseline runs made just before them, a figure less exposed than the best
// runs to the load of the machine drifting during the benchmark: ", paired
// runs: median x0.93, x0.85-x1.02". It is empty for a single run.
func pairedRatios(base, runs trials) string {
	if len(base) != len(runs) || len(runs) < 2 {
		return ""
	}
	ratios := make([]float64, len(runs))
	for i := range runs {
		ratios[i] = base[i].wall.Seconds() / runs[i].wall.Seconds()
	}
	slices.Sort(ratios)
	mid := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		mid = (mid + ratios[len(ratios)/2-1]) / 2
	}
	return fmt.Sprintf(", paired runs: median x%.2f, x%.2f-x%.2f", mid, ratios[0], ratios[len(ratios)-1])
}

// rates returns the range of rates of the runs, such as "61k-98k/s".
func (t trials) rates(msgs int) string {
	slowest := slices.MaxFunc(t, func(a, b trial) int { return cmp.Compare(a.wall, b.wall) }).wall
	return fmt.Sprintf("%.0fk-%.0fk/s", rate(msgs, slowest)/1000, rate(msgs, t.best())/1000)
}
