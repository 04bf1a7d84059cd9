package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// outcomes is an Observer that records what it is told.
type outcomes struct {
	mu        sync.Mutex
	byID      map[string][]dispatcher.Outcome
	reclaimed map[string]int
}

var _ dispatcher.Observer = (*outcomes)(nil)

func newOutcomes() *outcomes {
	return &outcomes{byID: map[string][]dispatcher.Outcome{}, reclaimed: map[string]int{}}
}

func (o *outcomes) ObserveOutcome(msg *dispatcher.Message, out dispatcher.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byID[msg.ID] = append(o.byID[msg.ID], out)
}

// Retried and DeadLettered are the retry side's events: never called by the
// Processor.
func (o *outcomes) Retried(*dispatcher.Message, string) { panic("Retried called by the Processor") }
func (o *outcomes) DeadLettered(*dispatcher.Message, string) {
	panic("DeadLettered called by the Processor")
}

func (o *outcomes) Reclaimed(group, stream string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n <= 0 || group != "g" {
		o.reclaimed[stream] = -1_000_000 // never called with n <= 0 or another group
	}
	o.reclaimed[stream] += n
}

func (o *outcomes) of(id string) []dispatcher.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.byID[id])
}

func (o *outcomes) reclaimedOf(stream string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.reclaimed[stream]
}

// actions returns the actions of outs.
func actions(outs []dispatcher.Outcome) []dispatcher.Action {
	as := make([]dispatcher.Action, len(outs))
	for i, o := range outs {
		as[i] = o.Action
	}
	return as
}

// TestObserver checks that the Processor reports each settled entry once
// per delivery with the outcome it acted on: the Dispatcher's for ack, retry
// and dead-letter, DeadLetter after MaxDeliveries, DeadLetter without a
// route for an oversize entry, Retry when the dead-letter write failed; and
// that reclaims are reported with their size.
func TestObserver(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	const R, A, D = dispatcher.Retry, dispatcher.Ack, dispatcher.DeadLetter
	tests := []struct {
		name       string
		typ        string
		size       int  // bytes of padding in the entry
		brokenDL   bool // the dead-letter key holds a string
		want       []dispatcher.Action
		wantRoute  string // route of the last outcome's failure
		wantErr    error  // the last outcome's failure wraps it
		wantUnrout error
		reclaims   bool // redelivered by XAUTOCLAIM
	}{
		{name: "handled", typ: "ok", want: []dispatcher.Action{A}},
		{name: "unroutable", typ: "nobody", want: []dispatcher.Action{A}, wantUnrout: dispatcher.ErrNoRoute},
		{name: "permanent", typ: "perm", want: []dispatcher.Action{D}, wantRoute: "perm-route", wantErr: errBad},
		{name: "retried up to MaxDeliveries", typ: "flaky", want: []dispatcher.Action{R, R, D},
			wantRoute: "flaky-route", wantErr: errBad, reclaims: true},
		{name: "too large", typ: "ok", size: 600, want: []dispatcher.Action{D}, wantErr: redisstream.ErrMessageTooLarge},
		{name: "dead-letter write fails", typ: "perm", brokenDL: true, want: []dispatcher.Action{R, R},
			wantRoute: "perm-route", wantErr: errBad, reclaims: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			stream := "observe:" + tt.name
			if tt.brokenDL {
				if err := rdb.Set(ctx, stream+":dead", "not a stream", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			d := dispatcher.New(dispatcher.Config{})
			d.OnFunc("ok", func(context.Context, *dispatcher.Message) error { return nil }, dispatcher.Named("ok-route"))
			d.OnFunc("perm", func(context.Context, *dispatcher.Message) error { return dispatcher.Permanent(errBad) }, dispatcher.Named("perm-route"))
			d.OnFunc("flaky", func(context.Context, *dispatcher.Message) error { return errBad }, dispatcher.Named("flaky-route"))
			id, err := rdb.XAdd(ctx, xadd(stream, tt.typ, tt.size)).Result()
			if err != nil {
				t.Fatal(err)
			}
			obs := newOutcomes()
			cfg := fastConfig(t, stream)
			cfg.Observer, cfg.MaxMessageBytes = obs, 500
			p := streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "the outcomes are observed", func() bool { return len(obs.of(id)) >= len(tt.want) })
			if !tt.brokenDL {
				eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			}
			streamtest.Stop(t, p)
			got := obs.of(id)
			if tt.brokenDL {
				got = got[:len(tt.want)] // it keeps being redelivered
			}
			if !slices.Equal(actions(got), tt.want) {
				t.Fatalf("actions %v, want %v", actions(got), tt.want)
			}
			checkOutcome(t, got[len(got)-1], tt.wantRoute, tt.wantErr, tt.wantUnrout)
			if n := obs.reclaimedOf(stream); (n > 0) != tt.reclaims || n < 0 {
				t.Errorf("reclaimed %d entries of %s, want reclaims: %v", n, stream, tt.reclaims)
			}
		})
	}
}

// xadd returns the XADD of one entry of type typ with size bytes of padding.
func xadd(stream, typ string, size int) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: stream, Values: []string{"type", typ, "pad", strings.Repeat("x", size)}}
}

// checkOutcome checks the failure and unroutable error of an outcome.
func checkOutcome(t *testing.T, o dispatcher.Outcome, route string, wantErr, unroutable error) {
	t.Helper()
	if !errors.Is(o.Unroutable, unroutable) || (unroutable == nil) != (o.Unroutable == nil) {
		t.Errorf("Unroutable %v, want %v", o.Unroutable, unroutable)
	}
	if wantErr == nil {
		if len(o.Failures) != 0 {
			t.Errorf("failures %v, want none", o.Failures)
		}
		return
	}
	if len(o.Failures) != 1 || o.Failures[0].Route != route || !errors.Is(o.Failures[0].Err, wantErr) {
		t.Errorf("failures %+v, want one of route %q wrapping %v", o.Failures, route, wantErr)
	}
}

// TestLastRead checks that LastRead is zero before Start and advances with
// reads that return nothing (redis.Nil after Block), so that an idle
// processor stays healthy.
func TestLastRead(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	p, err := redisstream.NewProcessor(rdb, counted(new(streamtest.Recorder), "tick"), fastConfig(t, "lastread"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.LastRead(); !got.IsZero() {
		t.Fatalf("LastRead before Start = %v, want zero", got)
	}
	before := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer streamtest.Stop(t, p)
	eventually(t, "a first read", func() bool { return !p.LastRead().IsZero() })
	first := p.LastRead()
	if first.Before(before) {
		t.Errorf("LastRead %v is before Start (%v)", first, before)
	}
	// Nothing is ever published: only empty reads can move it.
	eventually(t, "LastRead advances on empty reads", func() bool { return p.LastRead().After(first) })
}

// ctxKey carries a value through the publish context to the Fields hook.
type ctxKey struct{}

// TestPublisherFieldsHook checks that the WithFields hook sees the
// caller's context and the encoded fields of every entry written by
// Publish, PublishBatch and Request, and that what it returns is written.
func TestPublisherFieldsHook(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	hook := func(ctx context.Context, fields []string) []string {
		v, _ := ctx.Value(ctxKey{}).(string)
		if len(fields) < 2 || fields[0] != "type" {
			v = "hook saw no type field"
		}
		return append(fields, "traceparent", v)
	}
	tests := []struct {
		name    string
		publish func(ctx context.Context, p *redisstream.Publisher, stream string) error
		entries int
	}{
		{name: "Publish", entries: 1, publish: func(ctx context.Context, p *redisstream.Publisher, stream string) error {
			_, err := p.Publish(ctx, stream, "order.paid", map[string]any{"n": 1})
			return err
		}},
		{name: "PublishBatch", entries: 2, publish: func(ctx context.Context, p *redisstream.Publisher, stream string) error {
			_, err := p.PublishBatch(ctx, stream, []redisstream.Event{{Type: "a"}, {Type: "b", Payload: map[string]any{"n": 2}}})
			return err
		}},
		{name: "Request", entries: 1, publish: func(ctx context.Context, p *redisstream.Publisher, stream string) error {
			_, err := p.Request(ctx, stream, "quote.asked", nil, 10*time.Millisecond)
			if errors.Is(err, redisstream.ErrReplyTimeout) {
				return nil // nobody answers: only the request entry matters
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "hook:" + tt.name
			ctx := context.WithValue(context.Background(), ctxKey{}, "00-"+tt.name)
			pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}, redisstream.WithFields(hook))
			if err := tt.publish(ctx, pub, stream); err != nil {
				t.Fatal(err)
			}
			plain := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
			if _, err := plain.Publish(ctx, stream, "plain", nil); err != nil {
				t.Fatal(err)
			}
			msgs := deadLetters(t, rdb, stream) // XRANGE of the stream
			if len(msgs) != tt.entries+1 {
				t.Fatalf("%d entries, want %d", len(msgs), tt.entries+1)
			}
			for _, m := range msgs[:tt.entries] {
				if got := m.Values["traceparent"]; got != "00-"+tt.name {
					t.Errorf("entry %s: traceparent %q, want %q (fields %v)", m.ID, got, "00-"+tt.name, m.Values)
				}
			}
			if _, ok := msgs[tt.entries].Values["traceparent"]; ok {
				t.Errorf("a publisher without hook wrote traceparent: %v", msgs[tt.entries].Values)
			}
		})
	}
}
