package asynqretry

import (
	"fmt"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"
)

// asynqLogger adapts a *zap.Logger to asynq.Logger. Fatal logs at error level
// and does not exit: library code never ends the process.
type asynqLogger struct{ l *zap.Logger }

var _ asynq.Logger = asynqLogger{}

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
