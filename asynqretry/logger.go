package asynqretry

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logSampleTick is the period over which a repeated asynq log line is
// logged once: during a Redis outage asynq repeats the same error every few
// hundred milliseconds per component, which would bury the app's logs.
const logSampleTick = 10 * time.Second

// asynqLogger adapts a *zap.Logger to asynq.Logger. Each distinct message is
// logged at most once per logSampleTick. Fatal logs at error level and does
// not exit: library code never ends the process.
type asynqLogger struct{ l *zap.Logger }

var _ asynq.Logger = asynqLogger{}

// newAsynqLogger returns the asynq logger of l, rate limited.
func newAsynqLogger(l *zap.Logger) asynqLogger {
	return asynqLogger{l: l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, logSampleTick, 1, 0)
	}))}
}

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
