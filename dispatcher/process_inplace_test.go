package dispatcher_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// TestProcessInPlace checks that ProcessInPlace never calls the
// RetryScheduler, that names run only the routes so named, and the Action
// it settles on.
func TestProcessInPlace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		msgType  string
		names    []string
		action   dispatcher.Action
		ran      []string
		handled  int
		failures []string
		errIs    error // the last failure wraps it
	}{
		{name: "every matching route, a retryable failure retries", msgType: "a",
			action: dispatcher.Retry, ran: []string{"ok", "flaky", "broken"}, handled: 1,
			failures: []string{"flaky", "broken"}, errIs: errA},
		{name: "only the named routes, whatever the type", msgType: "other", names: []string{"flaky"},
			action: dispatcher.Retry, ran: []string{"flaky"}, failures: []string{"flaky"}},
		{name: "only permanent failures dead-letter", msgType: "a", names: []string{"broken", "ok"},
			action: dispatcher.DeadLetter, ran: []string{"broken", "ok"}, handled: 1,
			failures: []string{"broken"}, errIs: errA},
		{name: "a name no route has is permanent", msgType: "a", names: []string{"ok", "gone"},
			action: dispatcher.DeadLetter, ran: []string{"ok"}, handled: 1,
			failures: []string{"gone"}, errIs: dispatcher.ErrRouteNotFound},
		{name: "success acks", msgType: "a", names: []string{"ok"},
			action: dispatcher.Ack, ran: []string{"ok"}, handled: 1},
		{name: "unroutable as in Process", msgType: "nobody", action: dispatcher.Ack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &calls{}
			sched := &fakeScheduler{}
			d := dispatcher.New(dispatcher.Config{Retry: sched})
			d.On("a", c.handler("ok", nil, nil), dispatcher.Named("ok"))
			d.On("a", c.handler("flaky", errors.New("try again"), nil), dispatcher.Named("flaky"))
			d.On("a", c.handler("broken", dispatcher.Permanent(errA), nil), dispatcher.Named("broken"))
			msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": tt.msgType})
			o := d.ProcessInPlace(context.Background(), msg, tt.names...)
			if o.Action != tt.action || o.Handled != tt.handled || o.Scheduled != 0 {
				t.Errorf("outcome %+v, want action %v handled %d, nothing scheduled", o, tt.action, tt.handled)
			}
			if got := c.got(); !slices.Equal(got, tt.ran) {
				t.Errorf("ran %q, want %q", got, tt.ran)
			}
			var failed []string
			for _, f := range o.Failures {
				failed = append(failed, f.Route)
			}
			if !slices.Equal(failed, tt.failures) {
				t.Errorf("failures %q, want %q", failed, tt.failures)
			}
			if tt.errIs != nil && !errors.Is(o.Failures[len(o.Failures)-1].Err, tt.errIs) {
				t.Errorf("last failure %v does not wrap %v", o.Failures[len(o.Failures)-1].Err, tt.errIs)
			}
			if tt.msgType == "nobody" && !errors.Is(o.Unroutable, dispatcher.ErrNoRoute) {
				t.Errorf("Unroutable = %v, want ErrNoRoute", o.Unroutable)
			}
			if len(sched.reqs) != 0 {
				t.Errorf("RetryScheduler called: %+v", sched.reqs)
			}
		})
	}
}

// TestProcessInPlaceExcept: the idempotent routes named as completed are
// skipped and counted, a plain route of the same name is not, the others
// run in place (nothing scheduled), and every route completed leaves
// nothing to run: Ack.
func TestProcessInPlaceExcept(t *testing.T) {
	t.Parallel()
	c := &calls{}
	sched := &fakeScheduler{}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	d.On("a", c.handler("store", nil, nil), dispatcher.Named("store"), dispatcher.Idempotent())
	d.On("a", c.handler("flaky", errors.New("try again"), nil), dispatcher.Named("flaky"))
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "a"})

	o := d.ProcessInPlaceExcept(context.Background(), msg, []string{"store", "flaky"})
	if o.Action != dispatcher.Retry || o.Skipped != 1 || o.Scheduled != 0 {
		t.Errorf("outcome %+v, want Retry, 1 skipped, nothing scheduled", o)
	}
	if got := c.got(); !slices.Equal(got, []string{"flaky"}) {
		t.Errorf("ran %q, want only flaky (store completed; flaky is not idempotent)", got)
	}

	only := dispatcher.New(dispatcher.Config{})
	only.On("a", c.handler("store2", nil, nil), dispatcher.Named("store2"), dispatcher.Idempotent())
	if o := only.ProcessInPlaceExcept(context.Background(), msg, []string{"store2"}); o.Action != dispatcher.Ack || o.Skipped != 1 {
		t.Errorf("every route completed: outcome %+v, want Ack with 1 skipped", o)
	}
}
