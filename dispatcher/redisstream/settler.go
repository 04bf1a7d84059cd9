package redisstream

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/streamfx/streamfx/internal/marker"
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

// settler is the last stage: one goroutine that acts on the results the
// scheduler forwards (ack, leave pending, or dead-letter then ack each
// entry, as its outcome says; see settle) and acknowledges in batches: it
// sends everything acked since its previous flush as one XACK per stream,
// in one pipelined round trip, so that under load many IDs share one XACK.
// A failed flush is kept and retried with backoff, so an ack is not lost
// while Redis is away. An entry leaves the in-flight set once Redis
// acknowledged it, or when it is left pending.
type settler struct {
	rdb     redis.UniversalClient
	cfg     ProcessorConfig
	log     *zap.Logger
	flights *inflight
	health  *health
	in      <-chan []result       // from the scheduler; closed at stop
	recycle chan<- []result       // slices settled, back to the scheduler
	deleted <-chan deletedEntries // from the readers and the reclaimer
	arrays  *recycler             // takes back the arrays of outcomes settled
	dead    []deadEntry           // dead letters to write (see deadLetterAll); run's goroutine only
	inPlace []runInPlace          // runs kept for a retry in place, to count (see countRunsInPlace)

	acks    map[string][]string // stream -> IDs to acknowledge; run's goroutine only
	queued  int                 // IDs in acks, and marker fields in marks
	markers *marker.Store       // writes the completion markers of idempotent routes
	marks   map[string][]string // stream -> completion marker fields (see marker.Field); run's goroutine only
}

// run settles what arrives until in is closed, then flushes the last
// acknowledgements, retrying up to finalAckTimeout. It returns the error
// that flush gave up on, if it did (the entries stay pending).
func (s *settler) run(context.Context) error {
	s.acks = make(map[string][]string)
	bo := retryBackoff()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	var waiting bool // a failed flush waits for its retry
	for {
		select {
		case rs, ok := <-s.in:
			if !ok {
				return s.final()
			}
			s.settleAll(rs)
		case d := <-s.deleted:
			s.ack(d.stream, d.ids...)
		case <-retry.C:
			waiting = false
		}
		if waiting || s.queued == 0 {
			continue
		}
		if err := s.flush(); err != nil {
			s.health.fail("xack", "xack", err)
			retry.Reset(bo.Next())
			waiting = true
			continue
		}
		bo.Reset()
	}
}

// mark queues the completion markers of routes for the entry id of
// stream, written in the pipeline of the next flush, before its XACKs.
func (s *settler) mark(stream, id string, routes []string) {
	if s.marks == nil {
		s.marks = make(map[string][]string)
	}
	for _, route := range routes {
		s.marks[stream] = append(s.marks[stream], marker.Field(id, route))
	}
	s.queued += len(routes)
}

// ack queues the acknowledgement of ids of stream.
func (s *settler) ack(stream string, ids ...string) {
	s.acks[stream] = append(s.acks[stream], ids...)
	s.queued += len(ids)
}

// final flushes what is left, retrying until finalAckTimeout.
func (s *settler) final() error {
	deadline := time.Now().Add(finalAckTimeout)
	bo := retryBackoff()
	for {
		err := s.flush()
		if err == nil {
			return nil
		}
		d := bo.Next()
		if time.Now().Add(d).After(deadline) {
			s.log.Error("acknowledgements lost at stop; the entries stay pending and will be redelivered",
				zap.Int("entries", s.queued), zap.Error(err))
			return err
		}
		time.Sleep(d)
	}
}

// flush sends every queued ID, and on success releases them from the
// in-flight set. On failure they stay queued (XACK is idempotent, so acking
// some twice is harmless).
func (s *settler) flush() error {
	if s.queued == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for stream, fields := range s.marks {
			s.markers.Record(ctx, p, stream, fields)
		}
		for stream, ids := range s.acks {
			switch {
			case len(ids) == 0:
			case s.cfg.fence != nil:
				s.cfg.fence.ack(ctx, p, stream, ids) // a lost lease acks nothing: the entries stay pending
			default:
				_ = p.Process(ctx, xackCmd(ctx, stream, s.cfg.Group, ids)) // the error is Pipelined's
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.health.ok("xack")
	for stream, ids := range s.acks {
		s.flights.release(stream, ids...)
		s.acks[stream] = ids[:0]
	}
	clear(s.marks)
	s.queued = 0
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
