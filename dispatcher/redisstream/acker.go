package redisstream

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

const (
	// ackTimeout bounds one flush of acknowledgements.
	ackTimeout = 10 * time.Second
	// finalAckTimeout bounds the last flush at stop, retries included. It
	// does not depend on the stop context: acks must not be lost because
	// that context was cancelled.
	finalAckTimeout = 5 * time.Second
)

// acker batches acknowledgements: handlers add entry IDs, and one goroutine
// sends everything added since its last flush as one XACK per stream, in one
// pipelined round trip. Under load many IDs share one XACK; a failed flush is
// kept and retried with backoff, so an ack is not lost while Redis is away.
type acker struct {
	rdb     redis.UniversalClient
	group   string
	health  *health
	flights *inflight
	log     *zap.Logger
	fence   ackFence // see ProcessorConfig.ackFence; nil: XACK

	mu     sync.Mutex
	buf    map[string][]string // stream -> IDs
	closed bool

	wake     chan struct{}
	quit     chan struct{}
	quitOnce sync.Once
	exited   chan struct{}
	finalErr error // why the final flush gave up; read after exited
}

func newAcker(rdb redis.UniversalClient, group string, h *health, f *inflight, log *zap.Logger) *acker {
	return &acker{
		rdb: rdb, group: group, health: h, flights: f, log: log,
		buf:  make(map[string][]string),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), exited: make(chan struct{}),
	}
}

func (a *acker) start() { go a.loop() }

// add queues IDs of stream for acknowledgement. It reports false, and drops
// them, once the acker is closed: the entries then stay pending.
func (a *acker) add(stream string, ids ...string) bool {
	if len(ids) == 0 {
		return true
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return false
	}
	a.buf[stream] = append(a.buf[stream], ids...)
	a.mu.Unlock()
	a.signal()
	return true
}

func (a *acker) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// close makes add drop everything from now on.
func (a *acker) close() {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
}

// stop closes the acker, flushes what is queued and waits for the loop. It
// returns the error the final flush gave up on, if it did.
func (a *acker) stop() error {
	a.close()
	a.quitOnce.Do(func() { close(a.quit) })
	<-a.exited
	return a.finalErr
}

func (a *acker) loop() {
	defer close(a.exited)
	bo := retryBackoff()
	for {
		select {
		case <-a.wake:
		case <-a.quit:
			a.final()
			return
		}
		if err := a.flush(); err != nil {
			a.health.fail("xack", "xack", err)
			t := time.NewTimer(bo.Next())
			select {
			case <-t.C:
				a.signal()
			case <-a.quit:
				t.Stop()
				a.final()
				return
			}
			continue
		}
		bo.Reset()
	}
}

// final flushes what is left, retrying until finalAckTimeout.
func (a *acker) final() {
	deadline := time.Now().Add(finalAckTimeout)
	bo := retryBackoff()
	for {
		err := a.flush()
		if err == nil {
			return
		}
		d := bo.Next()
		if time.Now().Add(d).After(deadline) {
			a.log.Error("acknowledgements lost at stop; the entries stay pending and will be redelivered",
				zap.Int("entries", a.queued()), zap.Error(err))
			a.finalErr = err
			return
		}
		time.Sleep(d)
	}
}

// flush sends every queued ID. On failure the IDs are queued again (XACK is
// idempotent, so acking some twice is harmless).
func (a *acker) flush() error {
	a.mu.Lock()
	batch := a.buf
	a.buf = make(map[string][]string, len(batch))
	a.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	_, err := a.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for stream, ids := range batch {
			if a.fence != nil {
				a.fence.ack(ctx, p, stream, ids) // a lost lease acks nothing: the entries stay pending
				continue
			}
			_ = p.Process(ctx, xackCmd(ctx, stream, a.group, ids)) // the error is Pipelined's
		}
		return nil
	})
	if err != nil {
		a.requeue(batch)
		return err
	}
	a.health.ok("xack")
	for stream, ids := range batch {
		a.flights.release(stream, ids...)
	}
	return nil
}

// xackCmd returns XACK stream group ids..., each ID passed as a *string,
// which go-redis writes as the string: a string in an interface would cost
// one allocation per ID (see appendXAdd).
func xackCmd(ctx context.Context, stream, group string, ids []string) *redis.IntCmd {
	args := make([]any, 0, 3+len(ids))
	args = append(args, "xack", stream, group)
	for i := range ids {
		args = append(args, &ids[i])
	}
	return redis.NewIntCmd(ctx, args...)
}

func (a *acker) requeue(batch map[string][]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for stream, ids := range batch {
		a.buf[stream] = append(ids, a.buf[stream]...)
	}
}

func (a *acker) queued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ids := range a.buf {
		n += len(ids)
	}
	return n
}
