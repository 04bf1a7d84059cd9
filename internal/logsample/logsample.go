// Package logsample rate limits the log lines that third-party libraries
// repeat during an outage (asynq's components, go-redis's connection pool),
// so that an outage is a few lines in the app's log, not thousands.
package logsample

import (
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Tick is the period over which each distinct line is logged once: during a
// Redis outage asynq and go-redis repeat the same error every few hundred
// milliseconds, which would bury the app's logs.
const Tick = 10 * time.Second

// Logger returns l, rate limited: each distinct message (by level and text)
// is logged at most once per Tick; the repeats within a Tick are dropped.
func Logger(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, Tick, 1, 0)
	}))
}
