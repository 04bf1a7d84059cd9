package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamfx/streamfx/internal/backoff"
)

func TestExponentialDelay(t *testing.T) {
	t.Parallel()
	exact := backoff.Exponential{Base: time.Second, Max: 5 * time.Second}
	for attempt, want := range map[int]time.Duration{
		-1: time.Second, 0: time.Second, 1: time.Second, 2: 2 * time.Second,
		3: 4 * time.Second, 4: 5 * time.Second, 100: 5 * time.Second,
	} {
		if got := exact.Delay(attempt); got != want {
			t.Errorf("Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
	jittered := backoff.Exponential{Base: 100 * time.Millisecond, Max: time.Second, Jitter: 0.5}
	for range 1000 {
		if d := jittered.Delay(2); d < 100*time.Millisecond || d > 300*time.Millisecond {
			t.Fatalf("Delay(2) = %v, want within [100ms, 300ms]", d)
		}
		if d := jittered.Delay(10); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("Delay(10) = %v, want within [500ms, 1s]", d)
		}
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	r := backoff.Retry{Exponential: backoff.Exponential{Base: time.Millisecond, Max: 8 * time.Millisecond}}
	for _, want := range []time.Duration{1, 2, 4, 8, 8} {
		if got := r.Next(); got != want*time.Millisecond {
			t.Errorf("Next = %v, want %v", got, want*time.Millisecond)
		}
	}
	r.Reset()
	if got := r.Next(); got != time.Millisecond {
		t.Errorf("Next after Reset = %v, want 1ms", got)
	}
	if !r.Wait(context.Background()) {
		t.Error("Wait = false with a live context")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := backoff.Retry{Exponential: backoff.Exponential{Base: time.Hour, Max: time.Hour}}
	if slow.Wait(ctx) {
		t.Error("Wait = true with an ended context")
	}
}
