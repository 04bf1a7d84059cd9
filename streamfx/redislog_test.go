package streamfx_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/streamfx"
)

// TestWithRedisLogger: with the opt-in, go-redis's own lines (here a pool
// that cannot dial) reach the app's logger, named "redis". The logger is an
// observer, not zaptest: go-redis's logger is process-wide and outlives the
// test.
func TestWithRedisLogger(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	app := fxtest.New(t, fx.NopLogger, fx.Supply(zap.New(core)), streamfx.WithRedisLogger())
	app.RequireStart()
	defer app.RequireStop()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)), MaxRetries: -1})
	defer dead.Close()
	eventually(t, "a go-redis line in the app's logger", func() bool {
		_ = dead.Ping(context.Background()).Err()
		return logs.FilterLoggerName("redis").Len() > 0
	})
}
