package asynqretry

import (
	"fmt"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/internal/logsample"
)

// asynqLogger adapts a *zap.Logger to asynq.Logger. Each distinct message is
// logged at most once per logsample.Tick: during a Redis outage asynq repeats
// the same error every few hundred milliseconds per component. Fatal logs at error level and does
// not exit: library code never ends the process.
type asynqLogger struct{ l *zap.Logger }

var _ asynq.Logger = asynqLogger{}

// newAsynqLogger returns the asynq logger of l, rate limited.
func newAsynqLogger(l *zap.Logger) asynqLogger {
	return asynqLogger{l: logsample.Logger(l)}
}

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
