package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// calls records which handlers ran, in order. Each test owns one.
type calls struct {
	mu  sync.Mutex
	log []string
}

// handler returns a Handler that records name, then panics with panicWith if
// it is not nil, else returns err.
func (c *calls) handler(name string, err error, panicWith any) dispatcher.Handler {
	return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
		c.mu.Lock()
		c.log = append(c.log, name)
		c.mu.Unlock()
		if panicWith != nil {
			panic(panicWith)
		}
		return err
	})
}

func (c *calls) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

// fakeScheduler records retry requests; it fails with err for the routes in
// failFor.
type fakeScheduler struct {
	mu      sync.Mutex
	reqs    []dispatcher.RetryRequest
	err     error
	failFor map[string]bool
}

func (s *fakeScheduler) ScheduleRetry(ctx context.Context, r dispatcher.RetryRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failFor[r.Route] {
		return s.err
	}
	s.reqs = append(s.reqs, r)
	return nil
}

var (
	errA  = errors.New("a failed")
	errC  = errors.New("c failed")
	errRS = errors.New("scheduler down")
)

func TestProcess(t *testing.T) {
	t.Parallel()
	type want struct {
		action     dispatcher.Action
		ran        []string
		handled    int
		scheduled  []string // routes handed to the scheduler
		failures   []string // routes in Outcome.Failures
		errIs      []error  // Failures[i].Err wraps errIs[i]
		unroutable error
		schedErr   bool
	}
	tests := []struct {
		name  string
		cfg   func(*fakeScheduler) dispatcher.Config
		setup func(d *dispatcher.Dispatcher, c *calls)
		msg   map[string]string
		want  want
	}{
		{
			name: "every matching route runs in registration order",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", nil, nil))
				d.On("b", c.handler("b1", nil, nil))
				d.On("a", c.handler("a2", nil, nil))
				d.On("a", c.handler("a3", nil, nil))
			},
			want: want{action: dispatcher.Ack, ran: []string{"a1", "a2", "a3"}, handled: 3},
		},
		{
			name: "a failing route does not stop the others; no scheduler leaves it pending",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", nil, nil))
				d.On("a", c.handler("a2", errA, nil))
				d.On("a", c.handler("a3", nil, nil))
			},
			want: want{action: dispatcher.Retry, ran: []string{"a1", "a2", "a3"}, handled: 2,
				failures: []string{"a#2"}, errIs: []error{errA}},
		},
		{
			name: "a panic is recovered into the route's error",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", nil, "boom"), dispatcher.Named("boom"))
				d.On("a", c.handler("a2", nil, nil))
			},
			want: want{action: dispatcher.Retry, ran: []string{"a1", "a2"}, handled: 1,
				failures: []string{"boom"}, errIs: []error{dispatcher.ErrPanic}},
		},
		{
			name: "a panic with an error value wraps that error",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", nil, errA))
			},
			want: want{action: dispatcher.Retry, ran: []string{"a1"}, failures: []string{"a#1"}, errIs: []error{errA}},
		},
		{
			name: "Permanent dead-letters",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", fmt.Errorf("wrapped: %w", dispatcher.Permanent(errA)), nil))
				d.On("a", c.handler("a2", nil, nil))
			},
			want: want{action: dispatcher.DeadLetter, ran: []string{"a1", "a2"}, handled: 1,
				failures: []string{"a#1"}, errIs: []error{errA}},
		},
		{
			name: "a Typed decode error is permanent",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, p struct{ N int }) error {
					return c.handler("typed", nil, nil).Handle(ctx, msg)
				}))
			},
			msg:  map[string]string{"type": "a", "N": "not a number"},
			want: want{action: dispatcher.DeadLetter, failures: []string{"a#1"}, errIs: []error{dispatcher.ErrDecode}},
		},
		{
			name:  "no type is acked and reported",
			setup: func(d *dispatcher.Dispatcher, c *calls) { d.On("a", c.handler("a1", nil, nil)) },
			msg:   map[string]string{"id": "1"},
			want:  want{action: dispatcher.Ack, unroutable: dispatcher.ErrNoType},
		},
		{
			name:  "unknown type is acked and reported",
			setup: func(d *dispatcher.Dispatcher, c *calls) { d.On("a", c.handler("a1", nil, nil)) },
			msg:   map[string]string{"type": "zzz"},
			want:  want{action: dispatcher.Ack, unroutable: dispatcher.ErrNoRoute},
		},
		{
			name:  "no type is dead-lettered with DeadLetterUnroutable",
			cfg:   func(*fakeScheduler) dispatcher.Config { return dispatcher.Config{DeadLetterUnroutable: true} },
			setup: func(d *dispatcher.Dispatcher, c *calls) { d.On("a", c.handler("a1", nil, nil)) },
			msg:   map[string]string{"id": "1"},
			want: want{action: dispatcher.DeadLetter, unroutable: dispatcher.ErrNoType,
				failures: []string{""}, errIs: []error{dispatcher.ErrNoType}},
		},
		{
			name:  "unknown type is dead-lettered with DeadLetterUnroutable",
			cfg:   func(*fakeScheduler) dispatcher.Config { return dispatcher.Config{DeadLetterUnroutable: true} },
			setup: func(d *dispatcher.Dispatcher, c *calls) {},
			msg:   map[string]string{"type": "zzz"},
			want: want{action: dispatcher.DeadLetter, unroutable: dispatcher.ErrNoRoute,
				failures: []string{""}, errIs: []error{dispatcher.ErrNoRoute}},
		},
		{
			name: "with a scheduler each failed route is scheduled, then acked",
			cfg:  func(s *fakeScheduler) dispatcher.Config { return dispatcher.Config{Retry: s} },
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", errA, nil))
				d.On("a", c.handler("a2", nil, nil))
				d.On("a", c.handler("a3", errC, nil), dispatcher.Named("third"))
			},
			want: want{action: dispatcher.Ack, ran: []string{"a1", "a2", "a3"}, handled: 1,
				scheduled: []string{"a#1", "third"}},
		},
		{
			name: "a schedule failure leaves the message pending",
			cfg: func(s *fakeScheduler) dispatcher.Config {
				s.err, s.failFor = errRS, map[string]bool{"a#2": true}
				return dispatcher.Config{Retry: s}
			},
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", errA, nil))
				d.On("a", c.handler("a2", errC, nil))
			},
			want: want{action: dispatcher.Retry, ran: []string{"a1", "a2"}, scheduled: []string{"a#1"},
				failures: []string{"a#1", "a#2"}, errIs: []error{errA, errC}, schedErr: true},
		},
		{
			name: "mixed permanent and retryable with a scheduler",
			cfg:  func(s *fakeScheduler) dispatcher.Config { return dispatcher.Config{Retry: s} },
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", dispatcher.Permanent(errA), nil))
				d.On("a", c.handler("a2", errC, nil))
			},
			want: want{action: dispatcher.DeadLetter, ran: []string{"a1", "a2"}, scheduled: []string{"a#2"},
				failures: []string{"a#1"}, errIs: []error{errA}},
		},
		{
			name: "mixed permanent and retryable without a scheduler",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", dispatcher.Permanent(errA), nil))
				d.On("a", c.handler("a2", errC, nil))
			},
			want: want{action: dispatcher.Retry, ran: []string{"a1", "a2"},
				failures: []string{"a#1", "a#2"}, errIs: []error{errA, errC}},
		},
		{
			name: "filters skip routes, a panicking filter fails its route",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				eu := func(m *dispatcher.Message) bool { return m.Fields["region"] == "eu" }
				d.On("a", c.handler("eu", nil, nil), dispatcher.WithFilter(eu))
				d.On("a", c.handler("us", nil, nil), dispatcher.WithFilter(func(m *dispatcher.Message) bool { return m.Fields["region"] == "us" }))
				d.On("a", c.handler("never", nil, nil), dispatcher.WithFilter(func(*dispatcher.Message) bool { panic("filter") }))
			},
			msg: map[string]string{"type": "a", "region": "eu"},
			want: want{action: dispatcher.Retry, ran: []string{"eu"}, handled: 1,
				failures: []string{"a#3"}, errIs: []error{dispatcher.ErrPanic}},
		},
		{
			name: "every route filtered out acks",
			setup: func(d *dispatcher.Dispatcher, c *calls) {
				d.On("a", c.handler("a1", nil, nil), dispatcher.WithFilter(func(*dispatcher.Message) bool { return false }))
			},
			want: want{action: dispatcher.Ack},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := &fakeScheduler{}
			var cfg dispatcher.Config
			if tt.cfg != nil {
				cfg = tt.cfg(sched)
			}
			d := dispatcher.New(cfg)
			c := &calls{}
			tt.setup(d, c)
			fields := tt.msg
			if fields == nil {
				fields = map[string]string{"type": "a"}
			}
			msg := dispatcher.NewMessage("s", "1-0", fields)
			msg.Attempt = 3
			o := d.Process(t.Context(), msg)

			if o.Action != tt.want.action || o.Handled != tt.want.handled || !errors.Is(o.Unroutable, tt.want.unroutable) ||
				(o.Unroutable == nil) != (tt.want.unroutable == nil) {
				t.Fatalf("Process = %+v, want %+v", o, tt.want)
			}
			if got := c.got(); !reflect.DeepEqual(got, tt.want.ran) && len(got)+len(tt.want.ran) > 0 {
				t.Fatalf("ran %q, want %q", got, tt.want.ran)
			}
			checkFailures(t, o.Failures, tt.want.failures, tt.want.errIs)
			checkScheduled(t, sched, msg, o, tt.want.scheduled)
			if (o.ScheduleErr != nil) != tt.want.schedErr || (tt.want.schedErr && !errors.Is(o.ScheduleErr, errRS)) {
				t.Fatalf("ScheduleErr = %v, want error %v", o.ScheduleErr, tt.want.schedErr)
			}
		})
	}
}

func checkFailures(t *testing.T, got []dispatcher.RouteFailure, routes []string, errIs []error) {
	t.Helper()
	if len(got) != len(routes) {
		t.Fatalf("Failures = %+v, want routes %q", got, routes)
	}
	for i, f := range got {
		if f.Route != routes[i] || !errors.Is(f.Err, errIs[i]) {
			t.Fatalf("Failures[%d] = %+v, want route %q with error %v", i, f, routes[i], errIs[i])
		}
		if errors.Is(f.Err, dispatcher.ErrPanic) && len(dispatcher.PanicStack(f.Err)) == 0 {
			t.Fatalf("Failures[%d]: PanicStack is empty", i)
		}
	}
}

func checkScheduled(t *testing.T, s *fakeScheduler, msg *dispatcher.Message, o dispatcher.Outcome, routes []string) {
	t.Helper()
	if len(s.reqs) != len(routes) || o.Scheduled != len(routes) {
		t.Fatalf("scheduled %+v (Outcome.Scheduled %d), want routes %q", s.reqs, o.Scheduled, routes)
	}
	for i, r := range s.reqs {
		if r.Route != routes[i] || r.Message != msg || r.Attempt != msg.Attempt || r.Err == nil || r.Delay != 0 {
			t.Fatalf("request %d = %+v, want route %q, the message, attempt %d, an error", i, r, routes[i], msg.Attempt)
		}
	}
}

func TestPanicErrorText(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{})
	d.On("a", dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { panic("kaboom") }))
	o := d.Process(t.Context(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"}))
	err := o.Failures[0].Err
	if !strings.Contains(err.Error(), "kaboom") || !strings.Contains(string(dispatcher.PanicStack(err)), "process_test.go") {
		t.Fatalf("error %q / stack %s: want the panic value and the handler's frame", err, dispatcher.PanicStack(err))
	}
	if dispatcher.PanicStack(errA) != nil {
		t.Fatal("PanicStack of an ordinary error is not nil")
	}
}

// panickyScheduler panics instead of scheduling.
type panickyScheduler struct{}

func (panickyScheduler) ScheduleRetry(context.Context, dispatcher.RetryRequest) error {
	panic("scheduler bug")
}

// TestProcessSchedulerPanic: a panic in the RetryScheduler does not kill the
// caller; the message is left pending with the panic as ScheduleErr.
func TestProcessSchedulerPanic(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{Retry: panickyScheduler{}})
	d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { return errors.New("boom") })
	out := d.Process(context.Background(), dispatcher.NewMessage("s", "1-0", map[string]string{"type": "order.paid"}))
	if out.Action != dispatcher.Retry || !errors.Is(out.ScheduleErr, dispatcher.ErrPanic) {
		t.Fatalf("outcome %v with ScheduleErr %v, want retry with an ErrPanic schedule error", out.Action, out.ScheduleErr)
	}
}
