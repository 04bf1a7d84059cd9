package redisstream

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// settlerRun is a settler of e, running until the test closes in.
type settlerRun struct {
	s     *settler
	in    chan []result
	acks  *xackCounter
	ended chan error
	stop  func() error // closes in and returns run's error
}

func startSettler(t *testing.T, e *stageEnv) *settlerRun {
	acks := &xackCounter{}
	e.rdb.AddHook(acks)
	sr := &settlerRun{in: make(chan []result), acks: acks, ended: make(chan error, 1)}
	sr.s = &settler{rdb: e.rdb, cfg: e.cfg, log: e.cfg.Logger, flights: e.flights, health: &health{log: e.cfg.Logger},
		in: sr.in, recycle: make(chan []result, 1), deleted: e.deleted, markers: e.feed.markers, arrays: newRecycler(8)}
	go func() { sr.ended <- sr.s.run(context.Background()) }()
	closed := false
	t.Cleanup(func() {
		if !closed {
			close(sr.in)
			<-sr.ended
		}
	})
	sr.stop = func() error { closed = true; close(sr.in); return <-sr.ended }
	return sr
}

// outcome returns a result of one entry of stream "s" read by c1, with out.
func outcome(id string, attempt int, out dispatcher.Outcome, rejected bool) result {
	msg := dispatcher.NewMessage("s", id, map[string]string{dispatcher.TypeField: "t"})
	msg.Attempt = attempt
	return result{job: job{stream: "s", entries: []entry{{id: id, attempts: attempt}}},
		done: []handled{{msg: *msg, out: out, rejected: rejected}}}
}

// TestSettlerActsOnOutcomes: Ack is acknowledged; Retry stays pending
// (left for redelivery) unless it was the last delivery, then it is
// dead-lettered and acknowledged like DeadLetter and a rejected entry;
// every entry leaves the in-flight set; the acks of the results sent
// together share one XACK.
func TestSettlerActsOnOutcomes(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 5)
	read := e.readAs("s", "c1", 5)
	e.flights.claim("s", []entry{{id: read[0]}, {id: read[1]}, {id: read[2]}, {id: read[3]}, {id: read[4]}})
	sr := startSettler(t, e)
	fail := []dispatcher.RouteFailure{{Route: "r", Err: errors.New("boom")}}
	sr.in <- []result{
		outcome(read[0], 1, dispatcher.Outcome{Action: dispatcher.Ack, Handled: 1}, false),
		outcome(read[1], 1, dispatcher.Outcome{Action: dispatcher.Retry, Failures: fail}, false),
		outcome(read[2], 3, dispatcher.Outcome{Action: dispatcher.Retry, Failures: fail}, false),
		outcome(read[3], 1, dispatcher.Outcome{Action: dispatcher.DeadLetter, Failures: fail}, false),
		outcome(read[4], 4, dispatcher.Outcome{Action: dispatcher.DeadLetter,
			Failures: []dispatcher.RouteFailure{{Err: ErrTooManyDeliveries}}}, true),
	}
	if err := sr.stop(); err != nil {
		t.Fatalf("final flush: %v", err)
	}
	pend := e.pendingOf("s")
	if len(pend) != 1 || pend[read[1]].ID == "" {
		t.Errorf("pending %v, want only the retried entry %s", pend, read[1])
	}
	if n := sr.acks.cmds.Load(); n != 1 {
		t.Errorf("%d XACK, want one for the four entries acked", n)
	}
	for _, id := range read {
		if e.held("s", id) {
			t.Errorf("entry %s still in flight after it was settled", id)
		}
	}
	dead, err := e.rdb.XRange(context.Background(), "s:dead", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var deadIDs []string
	for _, m := range dead {
		deadIDs = append(deadIDs, m.Values[dispatcher.DeadIDField].(string))
	}
	if want := read[2:]; !slices.Equal(deadIDs, want) {
		t.Errorf("dead-lettered %v, want %v", deadIDs, want)
	}
}

// TestSettlerAcksDeleted: the IDs of pending entries deleted from the
// stream are acknowledged, taking them out of the PEL.
func TestSettlerAcksDeleted(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 2)
	read := e.readAs("s", "c1", 2)
	sr := startSettler(t, e)
	e.deleted <- deletedEntries{stream: "s", ids: read}
	e.waitFor("the deleted entries acknowledged", func() bool { return len(e.pendingOf("s")) == 0 })
	if err := sr.stop(); err != nil {
		t.Fatal(err)
	}
}

// xaddRounds is a go-redis hook that counts the round trips carrying an
// XADD (a pipeline counts once).
type xaddRounds struct{ n atomic.Int64 }

func (*xaddRounds) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *xaddRounds) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.EqualFold(cmd.Name(), "xadd") {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *xaddRounds) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if slices.ContainsFunc(cmds, func(cmd redis.Cmder) bool { return strings.EqualFold(cmd.Name(), "xadd") }) {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// TestSettlerDeadLettersInOneRoundTrip: the dead letters of the entries
// settled together (two failed routes of one, one of each other) are
// written in one round trip, then the entries are acknowledged.
func TestSettlerDeadLettersInOneRoundTrip(t *testing.T) {
	e := newStageEnv(t, "s")
	e.add("s", "t", 3)
	read := e.readAs("s", "c1", 3)
	rounds := &xaddRounds{}
	e.rdb.AddHook(rounds)
	sr := startSettler(t, e)
	two := []dispatcher.RouteFailure{{Route: "a", Err: errors.New("a")}, {Route: "b", Err: errors.New("b")}}
	one := []dispatcher.RouteFailure{{Route: "a", Err: errors.New("a")}}
	sr.in <- []result{
		outcome(read[0], 1, dispatcher.Outcome{Action: dispatcher.DeadLetter, Failures: two}, false),
		outcome(read[1], 1, dispatcher.Outcome{Action: dispatcher.DeadLetter, Failures: one}, false),
		outcome(read[2], 1, dispatcher.Outcome{Action: dispatcher.DeadLetter, Failures: one}, false),
	}
	if err := sr.stop(); err != nil {
		t.Fatal(err)
	}
	if n, err := e.rdb.XLen(context.Background(), "s:dead").Result(); err != nil || n != 4 {
		t.Errorf("%d dead letters (%v), want 4", n, err)
	}
	if n := rounds.n.Load(); n != 1 {
		t.Errorf("dead letters written in %d round trips, want 1", n)
	}
	if p := e.pendingOf("s"); len(p) != 0 {
		t.Errorf("%d entries still pending after their dead letters were written", len(p))
	}
}
