package redisstream

import (
	"context"
	"sync"
	"time"
)

// abortGrace is how long an aborted Shutdown waits, after cancelling the
// handlers' context, for the handlers to return.
const abortGrace = 500 * time.Millisecond

// run is the background machinery of a started Processor: one reader per
// stream (and a backlog reader beside it when Concurrency > 1), a reclaim
// loop, a pool of Concurrency handler workers fed through the jobs queue,
// and an acker that batches acknowledgements.
type run struct {
	p   *Processor
	cfg ProcessorConfig

	readCtx  context.Context // ends when reading must stop
	stopRead context.CancelFunc
	hctx     context.Context // handlers' context; ends on an aborted stop
	cancelH  context.CancelFunc

	loops    sync.WaitGroup // readers and reclaim loop
	handlers sync.WaitGroup // handler workers
	jobs     chan job       // claimed entries waiting for a worker; closed once the loops exited

	abortOnce sync.Once
	abort     chan struct{} // closed when Shutdown's context ended first

	acks      *acker
	health    *health
	flights   *inflight
	unstarted handback // entries read but not started, given back at stop
}

func newRun(p *Processor) *run {
	r := &run{p: p, cfg: p.cfg, abort: make(chan struct{})}
	r.readCtx, r.stopRead = context.WithCancel(context.Background())
	r.hctx, r.cancelH = context.WithCancel(context.Background())
	r.jobs = make(chan job, max(p.cfg.BatchSize, p.cfg.Concurrency))
	r.health = &health{log: p.log}
	r.flights = newInflight()
	r.acks = newAcker(p.rdb, p.cfg.Group, r.health, r.flights, p.log)
	return r
}

// start launches the background goroutines.
func (r *run) start() {
	r.acks.start()
	r.handlers.Add(r.cfg.Concurrency)
	for range r.cfg.Concurrency {
		go r.work()
	}
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

// supervise waits for reading to stop, then for the handlers (or an abort),
// flushes the last acknowledgements and marks the Processor stopped.
func (r *run) supervise() {
	<-r.readCtx.Done()
	r.loops.Wait()
	close(r.jobs) // the workers give back what is queued, then exit
	finished := make(chan struct{})
	go func() {
		r.handlers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-r.abort:
		// The handlers' context is cancelled: give those that honour it a
		// moment to return, so that they do not outlive Shutdown.
		t := time.NewTimer(abortGrace)
		select {
		case <-finished:
		case <-t.C:
		}
		t.Stop()
	}
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
