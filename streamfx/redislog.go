package streamfx

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/internal/logsample"
)

// WithRedisLogger is an opt-in companion of Module that sends go-redis's own
// log lines (connection pool errors while Redis is down, ...) to the app's
// *zap.Logger, named "redis", at warn level, each distinct line at most once
// every 10 seconds, so that an outage is a few lines:
//
//	fx.New(streamfx.Module, streamfx.WithRedisLogger(), ...)
//
// go-redis has one logger per process (redis.SetLogger), so this replaces it
// for every Redis client of the process, not only the module's, when the app
// starts; go-redis cannot give the previous one back, so it stays in place
// after the app stops. Without this option streamfx never touches it, and
// go-redis writes to stderr.
func WithRedisLogger() fx.Option {
	return fx.Module("streamfx.redislog",
		fx.Invoke(func(lc fx.Lifecycle, log *zap.Logger) {
			lc.Append(fx.StartHook(func() { redis.SetLogger(newRedisLogger(log.Named("redis"))) }))
		}),
	)
}

// redisLogger adapts a *zap.Logger to go-redis's logger, rate limited (each
// distinct line at most once per logsample.Tick).
type redisLogger struct{ l *zap.Logger }

func newRedisLogger(l *zap.Logger) redisLogger {
	return redisLogger{l: logsample.Logger(l)}
}

// Printf logs one go-redis line at warn level.
func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
