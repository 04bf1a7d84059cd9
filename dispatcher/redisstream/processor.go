package redisstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
)

// Processor state, guarded by Processor.mu.
const (
	stateNew = iota
	stateStarting
	stateRunning
	stateClosed
)

// Processor consumes streams through a Redis consumer group and feeds every
// entry to a dispatcher.Dispatcher.
//
// Delivery is at least once: an entry is acknowledged only after its routes
// succeeded, were handed to the RetryScheduler, or were dead-lettered. An
// entry whose handling failed stays pending and is redelivered by the reclaim
// loop once idle for MinIdle, up to MaxDeliveries deliveries; then it goes to
// the dead-letter stream. Handlers must therefore be idempotent.
//
// The Redis client belongs to the caller: the Processor never closes it.
type Processor struct {
	rdb redis.UniversalClient
	d   *dispatcher.Dispatcher
	cfg ProcessorConfig
	log *zap.Logger

	mu    sync.Mutex
	state int
	err   error         // fatal background error
	done  chan struct{} // closed when stopped
	pipe  *pipeline     // the stages, once started

	lastRead atomic.Int64 // UnixNano of the last successful XREADGROUP; see LastRead
}

// NewProcessor validates cfg, applies its defaults and returns a Processor
// that is not yet started. rdb may be a single node, Sentinel or Cluster
// client.
func NewProcessor(rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg ProcessorConfig) (*Processor, error) {
	if rdb == nil || d == nil {
		return nil, fmt.Errorf("%w: nil redis client or dispatcher", ErrInvalidConfig)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := c.Logger.With(zap.String("consumer_group", c.Group), zap.String("consumer", c.Consumer))
	return &Processor{rdb: rdb, d: d, cfg: c, log: log, done: make(chan struct{})}, nil
}

// Config returns the configuration with its defaults applied.
func (p *Processor) Config() ProcessorConfig {
	c := p.cfg
	c.Streams = append([]string(nil), c.Streams...)
	return c
}

// Start creates the consumer group of every stream if needed (creating the
// stream too; an existing group is fine) and starts consuming in the
// background. It returns an error, and starts nothing, if Redis cannot be
// reached within ctx. Start on a running Processor does nothing (it returns
// the fatal error, if one stopped it); after Shutdown it returns
// ErrClosed. ctx only bounds Start itself.
func (p *Processor) Start(ctx context.Context) error {
	p.mu.Lock()
	switch p.state {
	case stateClosed:
		p.mu.Unlock()
		return ErrClosed
	case stateStarting, stateRunning:
		err := p.err // a fatal error, if the background stopped
		p.mu.Unlock()
		return err
	}
	p.state = stateStarting
	p.mu.Unlock()

	err := p.createGroups(ctx)

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return ErrClosed
	}
	if err != nil {
		p.state = stateNew
		return err
	}
	p.state = stateRunning
	p.warnSmallPool()
	p.pipe = newPipeline(p)
	p.pipe.start()
	return nil
}

// createGroups creates every stream's group (MKSTREAM; BUSYGROUP is fine).
func (p *Processor) createGroups(ctx context.Context) error {
	for _, s := range p.cfg.Streams {
		if err := p.createGroup(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) createGroup(ctx context.Context, stream string) error {
	err := p.rdb.XGroupCreateMkStream(ctx, stream, p.cfg.Group, p.cfg.StartID).Err()
	if err != nil && !isBusyGroup(err) {
		return fmt.Errorf("redisstream: create group %s on stream %s: %w", p.cfg.Group, stream, err)
	}
	return nil
}

// Shutdown stops the Processor gracefully: it stops reading, lets the
// handlers in flight finish, acknowledges what finished, and leaves every
// other entry pending for a later delivery. The entries read but not
// started are then handed back, in one pipeline of at most 2s: XCLAIM
// ... IDLE MinIdle JUSTID makes them look idle, so the next reclaim of any
// consumer whose MinIdle is not longer takes them over without waiting
// MinIdle (the delivery of their read still counts). An entry another
// consumer claimed meanwhile is left to it. If ctx ends first, the
// handlers' context is cancelled, their results are discarded (the entries
// stay pending), what finished before is still acknowledged, nothing is
// handed back, and Shutdown returns ctx.Err(). Nothing is handed back
// either when the final acknowledgement failed (Redis is away). Neither the
// final acknowledgement (up to 5s) nor the hand-back (up to 2s) depends on
// ctx: Shutdown can return that much later than ctx ends.
//
// Every goroutine the Processor started has exited when Shutdown returns,
// except handlers that ignore their cancelled context for more than half a
// second (their results are discarded). Shutdown may be called before
// Start, concurrently with it, and more than once.
func (p *Processor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	pl := p.pipe
	if p.state != stateRunning {
		if p.state != stateClosed {
			p.state = stateClosed
			close(p.done)
		}
		p.mu.Unlock()
		if pl != nil {
			return pl.waitStopped(ctx)
		}
		return nil
	}
	p.state = stateClosed
	p.mu.Unlock()
	return pl.shutdown(ctx)
}

// Done returns a channel that is closed when the Processor has stopped, after
// Shutdown or a fatal error (see Err).
func (p *Processor) Done() <-chan struct{} { return p.done }

// Err returns the fatal error that stopped the Processor in the background,
// such as a stream key that holds another type. It is nil while running and
// after a clean Shutdown. After a fatal error the stop sequence runs as for
// Shutdown, but the handlers still running get MinIdle to finish, not a
// context: then their context is cancelled and their results discarded
// (their entries stay pending), so that Done is always closed.
func (p *Processor) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// fatal records err as the Processor's fatal error and stops reading.
func (p *Processor) fatal(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.log.Error("processor stopped by a fatal error", zap.Error(err))
}

// abortGrace is how long an aborted stop waits, after cancelling the
// handlers' context, for the handlers to return.
const abortGrace = 500 * time.Millisecond

// pipeline is a started Processor: its stages, wired by newPipeline, and
// the stop sequence (stop). Each stage is one type that owns its
// goroutines: readers and the reclaimer feed the
// scheduler, which starts jobs on the workers, whose results go to the
// settler.
type pipeline struct {
	p *Processor

	readCtx  context.Context // readers and reclaimer; ends when reading stops
	stopRead context.CancelFunc
	hctx     context.Context // scheduler, workers and handlers; ends on an abort
	cancelH  context.CancelFunc

	abortOnce sync.Once
	abort     chan struct{} // closed when Shutdown's context ended first

	loops       sync.WaitGroup // readers, reclaimer, retention
	readers     []*reader
	reclaimer   *reclaimer
	retention   *retention // nil when RetentionInterval is zero
	sched       *scheduler
	order       *keyedPolicy // the policy of an ordered Processor, else nil
	workers     *workers
	settler     *settler
	workersDone chan struct{} // closed when every worker returned
	settlerDone chan struct{} // closed when the settler returned
	settleErr   error         // why the settler's last flush gave up; read after settlerDone

	health    *health
	flights   *inflight
	unstarted handback // entries read but not started, handed back at stop
}

// newPipeline wires the stages of p.
func newPipeline(p *Processor) *pipeline {
	c := p.cfg
	pl := &pipeline{p: p, abort: make(chan struct{}),
		workersDone: make(chan struct{}), settlerDone: make(chan struct{})}
	pl.readCtx, pl.stopRead = context.WithCancel(context.Background())
	pl.hctx, pl.cancelH = context.WithCancel(context.Background())
	pl.health = &health{log: p.log}
	pl.flights = newInflight()
	pol := newPolicy(c, p.d, p.log)
	if pl.order, _ = pol.(*keyedPolicy); pl.order != nil {
		pl.order.proc = p // tells the OrderObserver which Processor reports
	}
	pl.sched = newScheduler(pol, c.Concurrency, pl.giveBack)
	arrays := newRecycler(2*max(c.BatchSize, c.Concurrency) + c.BatchSize*len(c.Streams)) // the policy's limit, the jobs started, the batches read
	pl.workers = &workers{slots: make([]slot, c.Concurrency), d: p.d, cfg: c, work: pl.sched.work,
		results: pl.sched.results, stopping: &pl.sched.stopping, giveBack: pl.giveBack, arrays: arrays}
	deleted := make(chan deletedEntries, len(c.Streams)+1)
	markers := marker.New(p.rdb, c.Group, c.MarkerTTL)
	pl.settler = &settler{rdb: p.rdb, cfg: c, log: p.log, flights: pl.flights, health: pl.health,
		in: pl.sched.settled, recycle: pl.sched.recycled, deleted: deleted, markers: markers, arrays: arrays}
	f := &feed{rdb: p.rdb, cfg: c, flights: pl.flights, out: pl.sched.in, deleted: deleted, giveBack: pl.giveBack,
		d: p.d, markers: markers, log: p.log}
	for _, s := range c.Streams {
		r := &reader{stream: s, rdb: p.rdb, cfg: c, log: p.log, feed: f, health: pl.health,
			markRead: p.markRead, createGroup: p.createGroup}
		pl.readers = append(pl.readers, r)
	}
	pl.reclaimer = &reclaimer{rdb: p.rdb, cfg: c, log: p.log, feed: f, flights: pl.flights, health: pl.health}
	pl.retention = newRetention(p.rdb, c, p.log)
	return pl
}

// start starts every stage's goroutines, and the stop sequence, which
// waits for reading to stop.
func (pl *pipeline) start() {
	go func() { pl.settleErr = pl.settler.run(pl.hctx); close(pl.settlerDone) }()
	go func() { _ = pl.workers.run(pl.hctx); close(pl.workersDone) }()
	go func() { _ = pl.sched.run(pl.hctx) }()
	for _, r := range pl.readers {
		pl.loops.Go(func() { pl.stopOnFatal(r.run(pl.readCtx)) })
	}
	pl.loops.Go(func() { _ = pl.reclaimer.run(pl.readCtx) })
	if pl.retention != nil {
		pl.loops.Go(func() { pl.retention.run(pl.readCtx) })
	}
	go pl.stop()
}

// stop is the stop sequence, in the order it happens. It starts once
// reading stops (Shutdown, or a fatal error):
//  1. the readers and the reclaimer return, each giving back
//     the batch it was sending;
//  2. the scheduler's intake closes: it gives back what its policy holds
//     and the jobs no worker took yet;
//  3. the workers finish the entries they run, and give back the entries
//     of their jobs not started yet. If Shutdown's context ends
//     first, or MinIdle after a fatal error (an abort; see stopOnFatal),
//     the routes still running are logged, the handlers'
//     context is cancelled, and those that honour it get abortGrace to
//     return; their results are discarded and their entries stay pending;
//  4. the settler settles the last results and flushes the last
//     acknowledgements (up to finalAckTimeout);
//  5. the entries given back are handed back (see handBack), unless the
//     stop was aborted or the last flush failed;
//  6. Done is closed.
func (pl *pipeline) stop() {
	<-pl.readCtx.Done()
	pl.loops.Wait()
	close(pl.sched.in)
	select {
	case <-pl.workersDone:
	case <-pl.abort:
		pl.workers.logRunning(pl.p.log)
		pl.cancelH()
		t := time.NewTimer(abortGrace)
		select {
		case <-pl.workersDone:
		case <-t.C:
		}
		t.Stop()
	}
	<-pl.settlerDone
	if pl.settleErr == nil && !pl.aborted() {
		pl.handBack() // not when Redis just failed the acks: it would wait for it again
	}
	pl.cancelH()
	close(pl.p.done)
}

// shutdown stops reading and waits for the stop sequence, aborting it if
// ctx ends first.
func (pl *pipeline) shutdown(ctx context.Context) error {
	pl.stopRead()
	select {
	case <-pl.p.done:
		return nil
	case <-ctx.Done():
	}
	pl.abortOnce.Do(func() { close(pl.abort) })
	<-pl.p.done
	return ctx.Err()
}

// waitStopped waits for a Shutdown in progress elsewhere.
func (pl *pipeline) waitStopped(ctx context.Context) error {
	select {
	case <-pl.p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stopOnFatal stops the Processor when a reader returned a fatal error.
// No Shutdown bounds that stop, so it is bounded by MinIdle (see
// abortAfter).
func (pl *pipeline) stopOnFatal(err error) {
	if err == nil {
		return
	}
	pl.p.fatal(err)
	pl.stopRead()
	go pl.abortAfter(pl.p.cfg.MinIdle)
}

// abortAfter aborts the stop sequence, as an expired Shutdown context
// does, unless it ended within d: after a fatal error the leases of the
// entries still running are no longer refreshed, so past MinIdle another
// consumer may take them over anyway, and Done must be closed even when a
// handler waits for its context to end.
func (pl *pipeline) abortAfter(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-pl.p.done:
	case <-t.C:
		pl.p.log.Warn("handlers still running after a fatal error; cancelling them", zap.Duration("after", d))
		pl.abortOnce.Do(func() { close(pl.abort) })
	}
}

// aborted reports whether Shutdown gave up waiting for the handlers.
func (pl *pipeline) aborted() bool {
	select {
	case <-pl.abort:
		return true
	default:
		return false
	}
}
