package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

func TestConcurrentProcessAndAdd(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{})
	var handled atomic.Int64
	count := dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error {
		handled.Add(1)
		return nil
	})
	d.On("a", count)
	const workers, perWorker, adds = 4, 200, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				msg := dispatcher.NewMessage("s", strconv.Itoa(w)+"-"+strconv.Itoa(i), map[string]string{"type": "a"})
				if o := d.Process(t.Context(), msg); o.Action != dispatcher.Ack || o.Handled < 1 {
					t.Errorf("Process = %+v, want Ack with at least the first route", o)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range adds {
			d.On("a", count, dispatcher.Named(fmt.Sprint("extra", i)))
			_ = d.Routes()
		}
	})
	wg.Wait()
	if got := len(d.Routes()); got != adds+1 {
		t.Fatalf("%d routes mounted, want %d", got, adds+1)
	}
	if handled.Load() < workers*perWorker {
		t.Fatalf("handled %d, want at least %d", handled.Load(), workers*perWorker)
	}
}

func TestDispatcherIsAHandler(t *testing.T) {
	t.Parallel()
	inner := dispatcher.New(dispatcher.Config{})
	c := &calls{}
	inner.On("a", c.handler("a1", errA, nil))
	inner.On("a", c.handler("a2", nil, nil))
	inner.On("a", c.handler("a3", errC, nil))
	outer := dispatcher.New(dispatcher.Config{})
	outer.On("a", inner, dispatcher.Named("inner"))

	o := outer.Process(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"}))
	if o.Action != dispatcher.Retry || len(o.Failures) != 1 || !errors.Is(o.Failures[0].Err, errA) || !errors.Is(o.Failures[0].Err, errC) {
		t.Fatalf("Process = %+v, want one failure joining both errors", o)
	}
	if got := c.got(); !reflect.DeepEqual(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("ran %q", got)
	}
	if err := inner.Handle(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "b"})); err != nil {
		t.Fatalf("Handle of an unknown type = %v, want nil", err)
	}
}

func TestIncludeKeepsOrder(t *testing.T) {
	t.Parallel()
	c := &calls{}
	r1, r2 := dispatcher.NewRouter(), &dispatcher.Router{} // the zero value is ready
	r1.On("a", c.handler("r1a", nil, nil))
	r2.OnFunc("a", func(ctx context.Context, m *dispatcher.Message) error {
		return c.handler("r2a", nil, nil).Handle(ctx, m)
	})
	r1.On("a", c.handler("r1b", nil, nil))
	d := dispatcher.New(dispatcher.Config{})
	d.On("a", c.handler("direct", nil, nil))
	d.Include(r1, r2)
	d.Process(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"}))
	if got, want := c.got(), []string{"direct", "r1a", "r1b", "r2a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	if got, want := routeNames(d.Routes()), []string{"a#1", "a#2", "a#3", "a#4"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("names %q, want %q", got, want)
	}
}

func TestHandlerGetsContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "v")
	var got any
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("a", func(ctx context.Context, _ *dispatcher.Message) error { got = ctx.Value(key{}); return nil })
	d.Process(ctx, dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"}))
	if got != "v" {
		t.Fatalf("handler saw %v, want the caller's context", got)
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	if dispatcher.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	p := dispatcher.Permanent(errA)
	tests := []struct {
		err  error
		want bool
	}{
		{errA, false},
		{p, true},
		{fmt.Errorf("ctx: %w", p), true},
		{errors.Join(errC, p), true},
		{fmt.Errorf("%w: x", dispatcher.ErrDecode), true},
		{dispatcher.ErrPanic, false},
	}
	for i, tt := range tests {
		if got := dispatcher.IsPermanent(tt.err); got != tt.want {
			t.Errorf("%d: IsPermanent(%v) = %v, want %v", i, tt.err, got, tt.want)
		}
	}
	if !errors.Is(p, errA) || dispatcher.Permanent(p) != p || p.Error() != "permanent: a failed" {
		t.Fatalf("Permanent(errA) = %v: must wrap errA once", p)
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	for a, want := range map[dispatcher.Action]string{dispatcher.Ack: "ack", dispatcher.Retry: "retry", dispatcher.DeadLetter: "dead-letter", 9: "unknown"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), want)
		}
	}
}

func TestDeadLetterFields(t *testing.T) {
	t.Parallel()
	msg := dispatcher.NewMessage("orders", "5-1", map[string]string{"type": "a", "n": "json:1"})
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	got := dispatcher.DeadLetterFields(msg, dispatcher.RouteFailure{Route: "r", Err: errA}, 4, now)
	want := map[string]any{
		"type": "a", "n": "json:1", "dead_reason": "a failed", "dead_route": "r", "dead_attempts": "4",
		"dead_stream": "orders", "dead_id": "5-1", "dead_at": "2024-01-02T02:04:05Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DeadLetterFields = %v, want %v", got, want)
	}
	if got := dispatcher.DeadLetterFields(msg, dispatcher.RouteFailure{}, 1, now); got["dead_reason"] != "unknown" {
		t.Fatalf("reason without error = %v", got["dead_reason"])
	}
	if dispatcher.DeadLetterStream("{orders}") != "{orders}:dead" {
		t.Fatal("DeadLetterStream")
	}
}
