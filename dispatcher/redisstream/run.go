package redisstream

import (
	"context"
	"sync"
	"time"
)

// abortGrace is how long an aborted Shutdown waits, after cancelling the
// handlers' context, for the handlers to return.
const abortGrace = 500 * time.Millisecond

// run is the background machinery of a started Processor, a pipeline of
// stages: one reader per stream (and a backlog reader beside it when
// Concurrency > 1) and a reclaim loop feed the scheduler, which starts the
// jobs its policy picks on the workers, whose results the settler acts on
// (acks go through the acker, which batches them).
type run struct {
	p   *Processor
	cfg ProcessorConfig

	readCtx  context.Context // ends when reading must stop
	stopRead context.CancelFunc
	hctx     context.Context // handlers' context; ends on an aborted stop
	cancelH  context.CancelFunc

	loops sync.WaitGroup // readers and reclaim loop

	abortOnce sync.Once
	abort     chan struct{} // closed when Shutdown's context ended first

	sched       *scheduler
	workers     *workers
	settler     *settler
	workersDone chan struct{} // closed when every worker returned
	settlerDone chan struct{} // closed when the settler returned

	acks      *acker
	health    *health
	flights   *inflight
	unstarted handback // entries read but not started, given back at stop
}

func newRun(p *Processor) *run {
	c := p.cfg
	r := &run{p: p, cfg: c, abort: make(chan struct{}),
		workersDone: make(chan struct{}), settlerDone: make(chan struct{})}
	r.readCtx, r.stopRead = context.WithCancel(context.Background())
	r.hctx, r.cancelH = context.WithCancel(context.Background())
	r.health = &health{log: p.log}
	r.flights = newInflight()
	r.acks = newAcker(p.rdb, c.Group, r.health, r.flights, p.log)
	r.acks.fence = c.ackFence
	r.sched = newScheduler(newPolicy(c, p.d), c.Concurrency, max(c.BatchSize, c.Concurrency), r.giveBack)
	r.workers = &workers{n: c.Concurrency, d: p.d, cfg: c, work: r.sched.work, results: r.sched.results}
	r.settler = &settler{rdb: p.rdb, cfg: c, log: p.log, acks: r.acks, flights: r.flights, in: r.sched.settled}
	return r
}

// start launches the background goroutines.
func (r *run) start() {
	r.acks.start()
	go func() { _ = r.settler.run(r.hctx); close(r.settlerDone) }()
	go func() { _ = r.workers.run(r.hctx); close(r.workersDone) }()
	go func() { _ = r.sched.run(r.hctx) }()
	for _, s := range r.cfg.Streams {
		var backlog *backlogReader // nil: only one reader
		if r.cfg.Concurrency > 1 {
			backlog = newBacklogReader(r, s)
			r.loops.Add(1)
			go backlog.run()
		}
		r.loops.Add(1)
		go r.read(s, backlog)
	}
	r.loops.Add(1)
	go r.reclaimLoop()
	go r.supervise()
}

// supervise holds the stop sequence: once reading stops, it waits for the
// readers and the reclaim loop, closes the scheduler's intake (it gives
// back what it holds), waits for the workers (or an abort), for the
// settler, flushes the last acknowledgements, hands back the entries read
// but not started and marks the Processor stopped.
func (r *run) supervise() {
	<-r.readCtx.Done()
	r.loops.Wait()
	close(r.sched.in)
	select {
	case <-r.workersDone:
	case <-r.abort:
		// The handlers' context is cancelled: give those that honour it a
		// moment to return, so that they do not outlive Shutdown.
		t := time.NewTimer(abortGrace)
		select {
		case <-r.workersDone:
		case <-t.C:
		}
		t.Stop()
	}
	<-r.settlerDone
	if err := r.acks.stop(); err == nil && !r.aborted() {
		r.handBack() // not when Redis just failed the acks: it would wait for it again
	}
	r.cancelH()
	close(r.p.done)
}

// shutdown stops reading and waits for the supervisor, aborting the handlers
// if ctx ends first.
func (r *run) shutdown(ctx context.Context) error {
	r.stopRead()
	select {
	case <-r.p.done:
		return nil
	case <-ctx.Done():
	}
	r.abortOnce.Do(func() {
		r.acks.close() // results that arrive from now on are discarded
		r.cancelH()
		close(r.abort)
	})
	<-r.p.done
	return ctx.Err()
}

// waitStopped waits for a Shutdown in progress elsewhere.
func (r *run) waitStopped(ctx context.Context) error {
	select {
	case <-r.p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail stops the Processor because of a fatal error.
func (r *run) fail(err error) {
	r.p.fatal(err)
	r.stopRead()
}

// aborted reports whether Shutdown gave up waiting for the handlers.
func (r *run) aborted() bool {
	select {
	case <-r.abort:
		return true
	default:
		return false
	}
}
