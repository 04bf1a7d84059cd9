package logsample_test

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/internal/logsample"
)

// TestLoggerLogsEachLineOncePerTick: a line repeated many times within a
// tick is logged once; distinct lines (by text or level) each once.
func TestLoggerLogsEachLineOncePerTick(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	l := logsample.Logger(zap.New(core))
	for range 50 {
		l.Error("dial tcp 127.0.0.1:6379: connect: connection refused")
		l.Warn("dial tcp 127.0.0.1:6379: connect: connection refused")
		l.Warn("UNKNOWN: redis command error")
	}
	if n := logs.Len(); n != 3 {
		t.Errorf("%d lines logged, want 3 (one per distinct message and level): %v", n, logs.AllUntimed())
	}
}
