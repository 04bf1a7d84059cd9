package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

// batchMsgs returns n messages of type "row" on stream "s", IDs "1-0"...,
// field "n" holding json:<i>.
func batchMsgs(n int) []*dispatcher.Message {
	out := make([]*dispatcher.Message, n)
	for i := range out {
		out[i] = dispatcher.NewMessage("s", fmt.Sprintf("%d-0", i+1),
			map[string]string{"type": "row", "n": fmt.Sprintf("json:%d", i)})
	}
	return out
}

// batchCalls records the IDs of every batch a batch handler got.
type batchCalls struct{ batches [][]string }

func (c *batchCalls) handler(fail func(msgs []*dispatcher.Message) error) dispatcher.BatchHandler {
	return dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		c.batches = append(c.batches, ids)
		return fail(msgs)
	})
}

// actions returns the Action of each outcome.
func actions(outs []dispatcher.Outcome) []string {
	out := make([]string, len(outs))
	for i, o := range outs {
		out[i] = o.Action.String()
	}
	return out
}

var errBulk = errors.New("bulk insert failed")

func TestProcessBatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		retry     bool // with a RetryScheduler
		fail      func(msgs []*dispatcher.Message) error
		actions   []string
		scheduled []string // IDs handed to the scheduler
		errIs     error    // every failure wraps it
	}{
		{name: "success", fail: func([]*dispatcher.Message) error { return nil },
			actions: []string{"ack", "ack", "ack", "ack"}},
		{name: "whole batch error without scheduler", fail: func([]*dispatcher.Message) error { return errBulk },
			actions: []string{"retry", "retry", "retry", "retry"}, errIs: errBulk},
		{name: "whole batch error with scheduler", retry: true, fail: func([]*dispatcher.Message) error { return errBulk },
			actions: []string{"ack", "ack", "ack", "ack"}, scheduled: []string{"1-0", "2-0", "3-0", "4-0"}, errIs: errBulk},
		{name: "per item", fail: func([]*dispatcher.Message) error {
			var failed dispatcher.BatchError
			failed.Fail(1, errBulk)
			failed.Fail(3, dispatcher.Permanent(errBulk))
			failed.Fail(2, nil) // ignored
			return failed.Err()
		}, actions: []string{"ack", "retry", "ack", "dead-letter"}, errIs: errBulk},
		{name: "per item with scheduler, wrapped", retry: true, fail: func([]*dispatcher.Message) error {
			failed := &dispatcher.BatchError{Items: []dispatcher.ItemError{{Index: 1, Err: errBulk}, {Index: 3, Err: dispatcher.Permanent(errBulk)}}}
			return fmt.Errorf("insert: %w", failed)
		}, actions: []string{"ack", "ack", "ack", "dead-letter"}, scheduled: []string{"2-0"}, errIs: errBulk},
		{name: "empty BatchError", fail: func([]*dispatcher.Message) error { return &dispatcher.BatchError{} },
			actions: []string{"ack", "ack", "ack", "ack"}},
		{name: "index out of range fails all", fail: func([]*dispatcher.Message) error {
			var failed dispatcher.BatchError
			failed.Fail(4, errBulk)
			return failed.Err()
		}, actions: []string{"retry", "retry", "retry", "retry"}, errIs: errBulk},
		{name: "panic fails all", fail: func([]*dispatcher.Message) error { panic("boom") },
			actions: []string{"retry", "retry", "retry", "retry"}, errIs: dispatcher.ErrPanic},
		{name: "permanent whole batch", fail: func([]*dispatcher.Message) error { return dispatcher.Permanent(errBulk) },
			actions: []string{"dead-letter", "dead-letter", "dead-letter", "dead-letter"}, errIs: errBulk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := &fakeScheduler{}
			cfg := dispatcher.Config{}
			if tt.retry {
				cfg.Retry = sched
			}
			d := dispatcher.New(cfg)
			var plain []string
			d.OnFunc("row", func(_ context.Context, m *dispatcher.Message) error {
				plain = append(plain, m.ID)
				return nil
			}, dispatcher.Named("audit"))
			var bc batchCalls
			d.OnBatch("row", bc.handler(tt.fail), dispatcher.Named("insert"))

			outs := d.ProcessBatch(context.Background(), batchMsgs(4))

			if got := actions(outs); !reflect.DeepEqual(got, tt.actions) {
				t.Errorf("actions = %v, want %v", got, tt.actions)
			}
			if want := [][]string{{"1-0", "2-0", "3-0", "4-0"}}; !reflect.DeepEqual(bc.batches, want) {
				t.Errorf("batches = %v, want %v (one call)", bc.batches, want)
			}
			if want := []string{"1-0", "2-0", "3-0", "4-0"}; !reflect.DeepEqual(plain, want) {
				t.Errorf("plain route ran for %v, want %v", plain, want)
			}
			var scheduled []string
			for _, r := range sched.reqs {
				if r.Route != "insert" {
					t.Errorf("scheduled route %q, want insert", r.Route)
				}
				scheduled = append(scheduled, r.Message.ID)
			}
			if !reflect.DeepEqual(scheduled, tt.scheduled) {
				t.Errorf("scheduled %v, want %v", scheduled, tt.scheduled)
			}
			for i, o := range outs {
				// the plain route succeeded for every message
				if o.Handled < 1 {
					t.Errorf("message %d: Handled = %d, want >= 1", i, o.Handled)
				}
				for _, f := range o.Failures {
					if f.Route != "insert" || !errors.Is(f.Err, tt.errIs) {
						t.Errorf("message %d: failure %q %v, want route insert wrapping %v", i, f.Route, f.Err, tt.errIs)
					}
				}
			}
		})
	}
}

func TestProcessBatchFilterAndOtherTypes(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{})
	var bc batchCalls
	d.OnBatch("row", bc.handler(func(msgs []*dispatcher.Message) error {
		var failed dispatcher.BatchError
		failed.Fail(1, errBulk) // the batch's second message: "4-0"
		return failed.Err()
	}), dispatcher.WithFilter(func(m *dispatcher.Message) bool {
		if m.ID == "3-0" {
			panic("bad filter")
		}
		return m.ID != "2-0"
	}))
	var other []string
	d.OnFunc("other", func(_ context.Context, m *dispatcher.Message) error {
		other = append(other, m.ID)
		return nil
	})
	msgs := batchMsgs(5)
	msgs[4] = dispatcher.NewMessage("s", "5-0", map[string]string{"type": "other"})

	outs := d.ProcessBatch(context.Background(), msgs)

	if want := [][]string{{"1-0", "4-0"}}; !reflect.DeepEqual(bc.batches, want) {
		t.Errorf("batches = %v, want %v", bc.batches, want)
	}
	if want := []string{"ack", "ack", "retry", "retry", "ack"}; !reflect.DeepEqual(actions(outs), want) {
		t.Errorf("actions = %v, want %v", actions(outs), want)
	}
	if outs[1].Handled != 0 {
		t.Errorf("filtered-out message counted as handled: %+v", outs[1])
	}
	if len(outs[2].Failures) != 1 || !errors.Is(outs[2].Failures[0].Err, dispatcher.ErrPanic) {
		t.Errorf("message whose filter panicked: %+v, want one ErrPanic failure", outs[2])
	}
	if !reflect.DeepEqual(other, []string{"5-0"}) {
		t.Errorf("route of the other type ran for %v, want [5-0]", other)
	}
}

func TestTypedBatch(t *testing.T) {
	t.Parallel()
	d := dispatcher.New(dispatcher.Config{})
	var got []int
	d.OnBatch("row", dispatcher.TypedBatch(func(_ context.Context, msgs []*dispatcher.Message, rows []struct{ N int }) error {
		got = append(got, len(got)) // one call
		var failed dispatcher.BatchError
		for i, r := range rows {
			if r.N == 3 {
				failed.Fail(i, errBulk) // index in rows, not in the batch
			}
			if msgs[i].Fields["n"] != fmt.Sprintf("json:%d", r.N) {
				t.Errorf("msgs[%d] does not match payloads[%d]", i, i)
			}
		}
		return failed.Err()
	}))
	msgs := batchMsgs(5)
	msgs[1].Fields["n"] = "json:{oops"

	outs := d.ProcessBatch(context.Background(), msgs)

	if len(got) != 1 {
		t.Fatalf("fn called %d times, want 1", len(got))
	}
	if want := []string{"ack", "dead-letter", "ack", "retry", "ack"}; !reflect.DeepEqual(actions(outs), want) {
		t.Errorf("actions = %v, want %v", actions(outs), want)
	}
	if !dispatcher.IsPermanent(outs[1].Failures[0].Err) || !errors.Is(outs[1].Failures[0].Err, dispatcher.ErrDecode) {
		t.Errorf("decode failure %v: want a permanent decode error", outs[1].Failures[0].Err)
	}
	if !errors.Is(outs[3].Failures[0].Err, errBulk) {
		t.Errorf("message 3 failure %v, want errBulk", outs[3].Failures[0].Err)
	}

	all := batchMsgs(2)
	for _, m := range all {
		m.Fields["n"] = "json:{oops"
	}
	if want := []string{"dead-letter", "dead-letter"}; !reflect.DeepEqual(actions(d.ProcessBatch(context.Background(), all)), want) || len(got) != 1 {
		t.Errorf("no message decodes: want every one dead-lettered and fn not called (calls %d)", len(got))
	}
}

// A message of a batch route handled alone (the retry path) is a batch of
// one; per-message middleware wraps that path, BatchMiddleware the batch.
func TestBatchRouteAlone(t *testing.T) {
	t.Parallel()
	var trace []string
	d := dispatcher.New(dispatcher.Config{
		Middleware: []dispatcher.RouteMiddleware{func(r dispatcher.Route) dispatcher.Middleware {
			return func(next dispatcher.Handler) dispatcher.Handler {
				return dispatcher.HandlerFunc(func(ctx context.Context, m *dispatcher.Message) error {
					trace = append(trace, "mw "+r.Name)
					return next.Handle(ctx, m)
				})
			}
		}},
		BatchMiddleware: []dispatcher.BatchMiddleware{func(r dispatcher.Route, next dispatcher.BatchHandler) dispatcher.BatchHandler {
			return dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
				trace = append(trace, fmt.Sprintf("batch mw %s %d", r.Name, len(msgs)))
				return next.HandleBatch(ctx, msgs)
			})
		}},
	})
	var bc batchCalls
	d.OnBatch("row", bc.handler(func(msgs []*dispatcher.Message) error {
		var failed dispatcher.BatchError
		for i, m := range msgs {
			if m.ID == "2-0" {
				failed.Fail(i, errBulk)
			}
		}
		return failed.Err()
	}), dispatcher.Named("insert"))

	d.ProcessBatch(context.Background(), batchMsgs(3))
	if err := d.RunRoute(context.Background(), "insert", batchMsgs(2)[1]); !errors.Is(err, errBulk) {
		t.Errorf("RunRoute of the failing message = %v, want errBulk", err)
	}
	if err := d.RunRoute(context.Background(), "insert", batchMsgs(1)[0]); err != nil {
		t.Errorf("RunRoute of a good message = %v, want nil", err)
	}
	if err := d.Handle(context.Background(), batchMsgs(2)[1]); !errors.Is(err, errBulk) {
		t.Errorf("Handle = %v, want errBulk", err)
	}
	want := []string{"batch mw insert 3", "mw insert", "mw insert", "mw insert"}
	if !reflect.DeepEqual(trace, want) {
		t.Errorf("middleware ran %q, want %q", trace, want)
	}
	if want := [][]string{{"1-0", "2-0", "3-0"}, {"2-0"}, {"1-0"}, {"2-0"}}; !reflect.DeepEqual(bc.batches, want) {
		t.Errorf("batches = %v, want %v", bc.batches, want)
	}
}

func TestBatchRegistration(t *testing.T) {
	t.Parallel()
	noop := dispatcher.BatchHandlerFunc(func(context.Context, []*dispatcher.Message) error { return nil })
	t.Run("defaults and limits", func(t *testing.T) {
		t.Parallel()
		d := dispatcher.New(dispatcher.Config{EnabledGroups: []string{"on"}})
		d.OnBatch("row", noop)
		d.OnBatch("row", noop, dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(time.Second))
		d.OnBatch("row", noop, dispatcher.WithMaxBatch(10), dispatcher.InGroup("off"))
		r := dispatcher.NewRouter()
		r.OnBatch("event", noop, dispatcher.WithMaxBatch(7), dispatcher.WithMaxWait(time.Millisecond))
		d.Include(r)
		if err := d.Add(dispatcher.Route{Type: "lit", Name: "lit", Batch: noop, MaxBatch: 3}); err != nil {
			t.Fatal(err)
		}
		for typ, want := range map[string]dispatcher.BatchLimits{
			"row":   {MaxBatch: 100, MaxWait: 50 * time.Millisecond},
			"event": {MaxBatch: 7, MaxWait: time.Millisecond},
			"lit":   {MaxBatch: 3, MaxWait: 50 * time.Millisecond},
		} {
			if got, ok := d.BatchLimits(typ); !ok || got != want {
				t.Errorf("BatchLimits(%q) = %+v, %v; want %+v, true", typ, got, ok, want)
			}
		}
		if _, ok := d.BatchLimits("none"); ok {
			t.Error("BatchLimits of a type without a batch route reports true")
		}
		for _, rt := range d.Routes() {
			if rt.Handler == nil || rt.Batch == nil || rt.MaxBatch == 0 || rt.MaxWait == 0 {
				t.Errorf("mounted batch route %+v lacks its Handler, Batch or limits", rt)
			}
		}
	})
	t.Run("wiring mistakes", func(t *testing.T) {
		t.Parallel()
		plain := dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })
		for name, register := range map[string]func(d *dispatcher.Dispatcher){
			"nil batch handler": func(d *dispatcher.Dispatcher) { d.OnBatch("row", nil) },
			"empty type":        func(d *dispatcher.Dispatcher) { d.OnBatch("", noop) },
			"negative MaxBatch": func(d *dispatcher.Dispatcher) { d.OnBatch("row", noop, dispatcher.WithMaxBatch(-1)) },
			"negative MaxWait":  func(d *dispatcher.Dispatcher) { d.OnBatch("row", noop, dispatcher.WithMaxWait(-time.Second)) },
			"MaxBatch on a plain route": func(d *dispatcher.Dispatcher) {
				d.On("row", plain, dispatcher.WithMaxBatch(5))
			},
			"router MaxWait on a plain route": func(d *dispatcher.Dispatcher) {
				dispatcher.NewRouter().On("row", plain, dispatcher.WithMaxWait(time.Second))
			},
		} {
			t.Run(name, func(t *testing.T) {
				defer func() {
					v := recover()
					if s, _ := v.(string); !strings.HasPrefix(s, "dispatcher: ") {
						t.Errorf("panic %v, want a message starting with %q", v, "dispatcher: ")
					}
				}()
				register(dispatcher.New(dispatcher.Config{}))
			})
		}
		d := dispatcher.New(dispatcher.Config{})
		for _, r := range []dispatcher.Route{
			{Type: "row", MaxBatch: 5, Handler: plain},
			{Type: "row", Batch: noop, MaxWait: -1},
			{Type: "row"},
		} {
			if err := d.Add(r); err == nil || !strings.HasPrefix(err.Error(), "dispatcher: ") {
				t.Errorf("Add(%+v) = %v, want a dispatcher: error", r, err)
			}
		}
		if len(d.Routes()) != 0 {
			t.Errorf("a failed Add mounted %d routes", len(d.Routes()))
		}
	})
}
