package redisstream

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// stopWait bounds every wait of the tests of this file.
const stopWait = 15 * time.Second

// TestOrderedStopKeepsCarriedFailures: an ordered entry whose first run
// failed for good on route "perm" and for now on route "flaky" is retried
// in place, running only "flaky"; that retry is still running when
// Shutdown starts. The permanent failure of the first run must still be
// dead-lettered before the entry is acknowledged, as it is when the retry
// ends before a stop: with the retry's own failure when it failed on the
// last delivery, alone when it succeeded.
func TestOrderedStopKeepsCarriedFailures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		retryFails bool
		want       []string // routes dead-lettered
	}{
		{"retry succeeds", false, []string{"perm"}},
		{"retry fails on the last delivery", true, []string{"perm", "flaky"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			stopDuringRetryInPlace(t, c.retryFails, c.want)
		})
	}
}

// stopDuringRetryInPlace runs the case of TestOrderedStopKeepsCarriedFailures
// whose retry in place fails (retryFails) or not, and checks that the
// routes of the dead letters are want.
func stopDuringRetryInPlace(t *testing.T, retryFails bool, want []string) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	const stream = "ordered-stop"
	var p *Processor
	var flakyRuns atomic.Int32
	retrying := make(chan struct{})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(context.Context, *dispatcher.Message) error {
		return dispatcher.Permanent(errors.New("garbage on purpose"))
	}, dispatcher.Named("perm"))
	d.OnFunc("ev", func(context.Context, *dispatcher.Message) error {
		if flakyRuns.Add(1) == 1 {
			return errors.New("fails once on purpose")
		}
		close(retrying)
		// Return only once the stop began (the scheduler stopped taking
		// batches), so that this result arrives during the stop sequence.
		p.mu.Lock()
		pl := p.pipe
		p.mu.Unlock()
		for deadline := time.Now().Add(stopWait); !pl.sched.stopping.Load(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("the scheduler did not stop within %v", stopWait)
				break
			}
		}
		if retryFails {
			return errors.New("fails again on purpose")
		}
		return nil
	}, dispatcher.Named("flaky"))
	id := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"type", "ev", "acct", "a"}}).Val()
	var err error
	p, err = NewProcessor(rdb, d, ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: "c1", Block: 50 * time.Millisecond,
		MinIdle: 30 * time.Second, MaxDeliveries: 2, OrderKey: "acct", Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stop := func() error {
		stopCtx, cancel := context.WithTimeout(ctx, stopWait)
		defer cancel()
		return p.Shutdown(stopCtx)
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case <-retrying:
	case <-time.After(stopWait):
		t.Fatal("the retry in place did not run")
	}
	if err := stop(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	dl, err := rdb.XRange(ctx, stream+":dead", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range dl {
		if m.Values[dispatcher.DeadIDField] != id {
			t.Errorf("dead letter of %v, want %s", m.Values[dispatcher.DeadIDField], id)
		}
		routes = append(routes, m.Values[dispatcher.DeadRouteField].(string))
	}
	slices.Sort(routes)
	slices.Sort(want)
	if !slices.Equal(routes, want) {
		t.Errorf("dead letters of routes %v, want %v", routes, want)
	}
	if n := rdb.XPending(ctx, stream, "g").Val().Count; n != 0 {
		t.Errorf("%d entries pending, want 0 (dead-lettered, then acknowledged)", n)
	}
}
