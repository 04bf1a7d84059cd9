package redisstream

import (
	"context"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// job is what one worker runs at once: one entry, or several entries of one
// stream (a batch), in the order given. The readers and the reclaimer also
// use it to pass the batches they read to the scheduler.
type job struct {
	stream  string
	entries []entry
	batch   bool // entries of batch routes, run together (Dispatcher.ProcessBatch)
	inPlace bool // run through Dispatcher.ProcessInPlace: the policy retries failures itself
}

// result is a job that ran: one done per entry of the job, in its order.
type result struct {
	job
	done []handled
	kept bool // the policy keeps its entry to run it again in place: only its completion markers are recorded
}

// handled is one entry as its worker ran it: the message built from it and
// the Dispatcher's outcome, or a dead-letter outcome for an entry rejected
// before any handler ran. The message lives in the result's array, one
// allocation per job rather than one per message.
type handled struct {
	msg      dispatcher.Message
	out      dispatcher.Outcome
	rejected bool // dead-lettered unrun: too large, or delivered too often
}

// policy decides which of the entries read run next, and when; the
// scheduler applies its decisions. FIFO (fifoPolicy) is the default;
// per-key ordering, batches and per-route limits are other policies.
//
// Contract:
//   - The scheduler's goroutine is the only caller: a policy needs no lock
//     and must never block.
//   - push gives the policy a batch read or claimed from one stream, in
//     stream order; each entry carries its delivery count. The entries are
//     in flight from then on (the reclaimer refreshes their lease) until
//     they are settled or given back. push is called only while full
//     reports false.
//   - full reports that the policy holds as much as it takes. The scheduler
//     then stops taking batches: the readers and the reclaimer wait, each
//     holding the batch it read (backpressure), until full reports false.
//   - next returns the next job to start (one entry, or several of one
//     stream) and true, or false when nothing may start now. The scheduler
//     calls it only while it has room for a job: fewer jobs started and not
//     yet done than twice the workers (each worker may have its next job
//     waiting, so that it never waits for the scheduler). A policy bounds
//     the jobs started at once further by returning false; from the moment
//     next returns a job, the job counts as running.
//   - done is told that a job returned from its worker, with one outcome
//     per entry. It returns true to have the job settled (acked, left
//     pending or dead-lettered as the outcomes say); the entries are then
//     none of the policy's business. It returns false to keep the job, to
//     run it again later (a retry in place): the policy must then return it
//     from next again, or from drain, and must not keep r, whose array of
//     outcomes goes to the settler all the same, to record the completion
//     markers of the routes that completed (see result.kept). Whatever done
//     returns, the worker is free: an ordering key of the job may run its
//     next entry.
//   - wake returns when next may have a job that it would not have now (a
//     retry's backoff ends, a batch that waits to fill reaches its longest
//     wait), or the zero time. The scheduler calls next again at that time
//     even if nothing else happened.
//   - held returns how many entries the policy holds, not running.
//   - drain is called once, at stop: it returns every entry the policy
//     holds that is not running, grouped in jobs of one stream; they are
//     given back unstarted (they stay pending; see handBack), or, when the
//     stop was aborted, dropped (they stay pending too). After it, only
//     done is called, for each job that was running, and it must let the
//     job be settled: nothing can run again in place once the stop began.
type policy interface {
	push(u job)
	full() bool
	next(now time.Time) (job, bool)
	done(r *result, now time.Time) bool
	wake() time.Time
	held() int
	drain() []job
}

// newPolicy returns the scheduling policy cfg asks for: per-key order when
// cfg is ordered (see keyedPolicy; a batch route then gets one message at a
// time), batches when d has batch routes (see batchPolicy), else FIFO.
func newPolicy(cfg ProcessorConfig, d *dispatcher.Dispatcher, log *zap.Logger) policy {
	if cfg.ordered() {
		return newKeyedPolicy(cfg, log)
	}
	limit := max(cfg.BatchSize, cfg.Concurrency)
	if most := maxBatch(d); most > 0 {
		return newBatchPolicy(cfg.BatchSize, limit+most, d.BatchLimits)
	}
	f := newFIFO(cfg.BatchSize, limit)
	f.spread = 2 * cfg.Concurrency // the jobs the scheduler keeps started: each worker's, and its next
	return f
}

// scheduler is the stage between the readers and the workers: it owns the
// policy and one goroutine. It takes the batches the readers and the
// reclaimer send on in, starts the jobs the policy picks (at most two per
// worker at once: one running, one waiting in work), takes the workers'
// results and forwards those the policy lets go to the settler, in
// batches, reusing the slices the settler hands back.
//
// Stop: when in is closed (every reader and the reclaimer have exited), the
// scheduler gives back what the policy holds and the jobs no worker took
// yet, closes work, forwards the results of the jobs still running, then
// closes settled and returns. When ctx ends first (an aborted stop), it
// drains the policy, without giving its entries back, closes work, hands
// the settler the results the workers reported before, and closes
// settled: the results that arrive later are discarded, and those entries
// stay pending.
type scheduler struct {
	pol      policy
	workers  int
	in       chan job      // batches read or claimed; closed by the processor at stop
	work     chan job      // jobs to run; closed by the scheduler
	results  chan result   // from the workers; never closed
	settled  chan []result // to the settler; closed by the scheduler
	recycled chan []result // slices the settler is done with
	giveBack func(job)     // lets go of entries not started (see run.giveBack)
	stopping atomic.Bool   // set at stop: workers give back the rest of their jobs
	now      func() time.Time
}

// newScheduler returns a scheduler of pol over workers workers.
func newScheduler(pol policy, workers int, giveBack func(job)) *scheduler {
	return &scheduler{
		pol: pol, workers: workers, giveBack: giveBack, now: time.Now,
		in:       make(chan job),
		work:     make(chan job, 2*workers),
		results:  make(chan result, 2*workers), // a worker never waits to report
		settled:  make(chan []result),
		recycled: make(chan []result, 1),
	}
}

// run is the scheduler's goroutine; see scheduler for what it does and how
// it stops. It returns ctx.Err() after an aborted stop, else nil.
func (s *scheduler) run(ctx context.Context) error {
	defer close(s.settled)
	in := s.in
	running := 0
	var out []result // results for the settler
	wake := time.NewTimer(time.Hour)
	wake.Stop()
	defer wake.Stop()
	var armed time.Time // when wake fires, zero if stopped
	for {
		if in != nil {
			running += s.start(2*s.workers - running)
			armed = s.arm(wake, armed)
		} else if running == 0 {
			s.flush(out)
			return nil
		}
		var intake <-chan job
		if in != nil && !s.pol.full() {
			intake = in
		}
		var settle chan<- []result
		if len(out) > 0 {
			settle = s.settled
		}
		select {
		case u, ok := <-intake:
			if !ok {
				in = nil
				running -= s.stop()
				continue
			}
			s.pol.push(u)
		case r := <-s.results:
			running--
			// done even at stop: the policy may have failures to add
			r.kept = !s.pol.done(&r, s.now()) && in != nil
			if out == nil {
				out = s.reuse()
			}
			out = append(out, r)
		case settle <- out:
			out = nil
		case <-wake.C:
			armed = time.Time{}
		case <-ctx.Done():
			if in != nil {
				s.pol.drain() // its entries stay pending: the policy only lets go of them (and says so)
				close(s.work)
			}
			s.flush(s.reported(out))
			return ctx.Err()
		}
	}
}

// start starts up to free jobs the policy picks and returns how many.
func (s *scheduler) start(free int) int {
	n := 0
	now := s.now()
	for n < free {
		u, ok := s.pol.next(now)
		if !ok {
			break
		}
		s.work <- u // never blocks: work holds two jobs per worker
		n++
	}
	return n
}

// arm sets the timer to the policy's next wake-up, if it has one, unless
// it is set for that time already (armed), and returns when it is set for.
func (s *scheduler) arm(t *time.Timer, armed time.Time) time.Time {
	at := s.pol.wake()
	switch {
	case at.Equal(armed):
	case at.IsZero():
		t.Stop()
	default:
		t.Reset(max(time.Until(at), 0))
	}
	return at
}

// reuse returns a slice the settler is done with, or nil.
func (s *scheduler) reuse() []result {
	select {
	case out := <-s.recycled:
		return out
	default:
		return nil
	}
}

// stop tells the workers to start no further entry of the jobs they run
// (see workers.runJob), gives back what the policy holds and the jobs no
// worker took yet, then closes work. It returns how many jobs it took back
// from work.
func (s *scheduler) stop() int {
	s.stopping.Store(true)
	for _, u := range s.pol.drain() {
		s.giveBack(u)
	}
	taken := 0
	for {
		select {
		case u := <-s.work:
			s.giveBack(u)
			taken++
		default:
			close(s.work)
			return taken
		}
	}
}

// reported adds to out the results the workers reported and the scheduler
// did not take yet, at an aborted stop, once the policy was drained: their
// handlers returned before the abort, so they are settled like the others.
func (s *scheduler) reported(out []result) []result {
	now := s.now()
	for {
		select {
		case r := <-s.results:
			if s.pol.done(&r, now) {
				out = append(out, r)
			}
		default:
			return out
		}
	}
}

// flush hands the last results to the settler. It may wait for the
// settler to settle what it holds, never longer: the settler takes what
// comes until settled is closed.
func (s *scheduler) flush(out []result) {
	if len(out) > 0 {
		s.settled <- out
	}
}
