package dispatchertest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/dispatchertest"
)

func TestNewMessage(t *testing.T) {
	t.Parallel()
	type paid struct {
		ID     string  `json:"id"`
		Amount int64   `json:"amount"`
		Ratio  float64 `json:"ratio"`
	}
	tests := []struct {
		name    string
		payload any
		fields  map[string]string
	}{
		{"nil", nil, map[string]string{"type": "t"}},
		{"map", map[string]any{"n": 1, "s": "json:x", "f": 1.0}, map[string]string{"type": "t", "n": "json:1", "s": `json:"json:x"`, "f": "json:1.0"}},
		{"struct", paid{ID: "o-1", Amount: 9007199254740993, Ratio: 0.5}, map[string]string{"type": "t", "id": "o-1", "amount": "json:9007199254740993", "ratio": "json:0.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			msg := dispatchertest.NewMessage("t", tt.payload)
			if msg.Type != "t" || msg.Stream != dispatchertest.Stream || msg.ID != dispatchertest.ID || msg.Attempt != 1 {
				t.Fatalf("NewMessage = %+v", msg)
			}
			if fmt.Sprint(msg.Fields) != fmt.Sprint(tt.fields) {
				t.Fatalf("Fields = %q, want %q", msg.Fields, tt.fields)
			}
		})
	}
}

func TestNewMessagePanics(t *testing.T) {
	t.Parallel()
	for name, do := range map[string]func(){
		"empty type":  func() { dispatchertest.NewMessage("", nil) },
		"not encoded": func() { dispatchertest.NewMessage("t", []int{1}) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if s, ok := recover().(string); !ok || !strings.HasPrefix(s, "dispatchertest: ") {
					t.Fatalf("panic = %#v, want a dispatchertest: message", s)
				}
			}()
			do()
		})
	}
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad")
	rec := &dispatchertest.Recorder{Err: errBad}
	msg := dispatchertest.NewMessage("t", map[string]any{"n": 1})
	if err := rec.Handle(t.Context(), msg); err != errBad {
		t.Fatalf("Handle = %v, want Err", err)
	}
	msg.Fields["n"] = "changed" // the handler's message is not the recorded one
	got := rec.Messages()
	if len(got) != 1 || got[0].Fields["n"] != "json:1" || got[0] == msg {
		t.Fatalf("Messages = %+v, want a copy of the message as handled", got)
	}
	got[0].Fields["n"] = "changed again"
	if rec.Messages()[0].Fields["n"] != "json:1" {
		t.Fatal("Messages returned the recorder's own copy")
	}
	rec.Reset()
	if rec.Len() != 0 {
		t.Fatalf("Len after Reset = %d", rec.Len())
	}
}

func TestRecorderConcurrent(t *testing.T) {
	t.Parallel()
	var rec dispatchertest.Recorder
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				_ = rec.Handle(t.Context(), dispatchertest.NewMessage("t", map[string]any{"i": i, "j": j}))
				_ = rec.Len()
				_ = rec.Messages()
			}
		})
	}
	wg.Wait()
	if rec.Len() != 400 {
		t.Fatalf("Len = %d, want 400", rec.Len())
	}
}

func TestRunWithScheduler(t *testing.T) {
	t.Parallel()
	errTemp := errors.New("temporary")
	tests := []struct {
		name      string
		schedErr  error
		action    dispatcher.Action
		requested int
	}{
		{"scheduled then acked", nil, dispatcher.Ack, 1},
		{"schedule failure leaves pending", errors.New("down"), dispatcher.Retry, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sched := &dispatchertest.Scheduler{Err: tt.schedErr}
			ok, failing := &dispatchertest.Recorder{}, &dispatchertest.Recorder{Err: errTemp}
			d := dispatcher.New(dispatcher.Config{Retry: sched})
			d.On("a", ok)
			d.On("a", failing, dispatcher.Named("failing"))
			outs := dispatchertest.Run(t.Context(), d,
				dispatchertest.NewMessage("a", map[string]any{"n": 1}), dispatchertest.NewMessage("zzz", nil))
			if len(outs) != 2 || outs[0].Action != tt.action || !errors.Is(outs[1].Unroutable, dispatcher.ErrNoRoute) {
				t.Fatalf("Run = %+v, want %v then unroutable", outs, tt.action)
			}
			reqs := sched.Requests()
			if len(reqs) != tt.requested {
				t.Fatalf("Requests = %+v, want %d", reqs, tt.requested)
			}
			if tt.requested > 0 && (reqs[0].Route != "failing" || !errors.Is(reqs[0].Err, errTemp) || reqs[0].Message.Fields["n"] != "json:1") {
				t.Fatalf("Requests[0] = %+v", reqs[0])
			}
			if ok.Len() != 1 || failing.Len() != 1 {
				t.Fatalf("handled %d and %d, want 1 each", ok.Len(), failing.Len())
			}
		})
	}
}

func TestRunEmpty(t *testing.T) {
	t.Parallel()
	if outs := dispatchertest.Run(context.Background(), dispatcher.New(dispatcher.Config{})); len(outs) != 0 {
		t.Fatalf("Run() = %v", outs)
	}
}
