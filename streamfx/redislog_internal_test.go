package streamfx

import (
	"context"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestRedisLoggerIsRateLimited: go-redis repeats its pool errors for every
// failed dial during an outage; each distinct line is logged once per tick.
func TestRedisLoggerIsRateLimited(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	l := newRedisLogger(zap.New(core))
	for range 50 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, "connection refused")
	}
	l.Printf(context.Background(), "redis: another line")
	if n := logs.Len(); n != 2 {
		t.Errorf("%d lines logged, want 2: %v", n, logs.AllUntimed())
	}
	if e := logs.AllUntimed()[0]; e.Level != zapcore.WarnLevel {
		t.Errorf("level %v, want warn", e.Level)
	}
}
