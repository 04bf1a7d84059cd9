package asynqretry_test

import (
	"testing"
	"time"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	s, err := asynqretry.NewScheduler(rdb, asynqretry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	got := []any{c.Queue, c.MaxAttempts, c.Concurrency, c.DelayedTaskCheckInterval, c.TaskCheckInterval, c.ShutdownTimeout, c.MaxTaskRetry}
	want := []any{"streamfx", 5, 10, 100 * time.Millisecond, 200 * time.Millisecond, 10 * time.Second, 20}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("default #%d = %v, want %v", i, got[i], want[i])
		}
	}
	if c.Backoff == nil || c.DeadLetterStream == nil || c.Logger == nil {
		t.Fatal("Backoff, DeadLetterStream or Logger left nil")
	}
	if got := c.DeadLetterStream("orders"); got != dispatcher.DeadLetterStream("orders") {
		t.Errorf("DeadLetterStream(orders) = %q", got)
	}

	custom := asynqretry.Config{Queue: "q", MaxAttempts: 1, Concurrency: 2, MaxTaskRetry: 3}
	if s, err = asynqretry.NewScheduler(rdb, custom); err != nil {
		t.Fatal(err)
	}
	if c := s.Config(); c.Queue != "q" || c.MaxAttempts != 1 || c.Concurrency != 2 || c.MaxTaskRetry != 3 {
		t.Errorf("explicit settings not kept: %+v", c)
	}
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	exact := asynqretry.ExponentialBackoff(time.Second, 5*time.Minute, 0)
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second},
		{9, 256 * time.Second}, {10, 5 * time.Minute}, {1000, 5 * time.Minute},
	}
	for _, tc := range tests {
		if got := exact(tc.attempt); got != tc.want {
			t.Errorf("attempt %d: %v, want %v", tc.attempt, got, tc.want)
		}
	}
	for attempt := 1; attempt <= 40; attempt++ {
		mid := exact(attempt)
		for range 50 {
			got := asynqretry.DefaultBackoff(attempt)
			lo, hi := time.Duration(float64(mid)*0.8), min(time.Duration(float64(mid)*1.2), 5*time.Minute)
			if got < lo || got > hi {
				t.Fatalf("DefaultBackoff(%d) = %v, want within [%v, %v]", attempt, got, lo, hi)
			}
		}
	}
}
