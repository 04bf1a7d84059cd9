package asynqretry

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestAsynqLoggerIsRateLimited: during a Redis outage asynq repeats the same
// error line many times a second; each distinct line is logged once per
// logsample.Tick.
func TestAsynqLoggerIsRateLimited(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	l := newAsynqLogger(zap.New(core))
	for range 50 {
		l.Error("Failed to forward scheduled tasks: ", "dial tcp 127.0.0.1:6379: connect: connection refused")
		l.Warn("Dequeue error: ", "UNKNOWN: redis command error")
	}
	l.Fatal("something else")
	if n := logs.Len(); n != 3 {
		t.Errorf("%d lines logged, want 3 (one per distinct message): %v", n, logs.AllUntimed())
	}
}
