package streamfx_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// TestStartWarnings: the module warns, when the app is built, about a MinIdle
// below twice ReclaimInterval (another consumer could reclaim an entry whose
// handler still runs) and about STREAMFX_ variables it does not know (a
// misspelling would otherwise be ignored silently).
func TestStartWarnings(t *testing.T) {
	t.Setenv("STREAMFX_STREAMS", "orders")
	t.Setenv("STREAMFX_MIN_IDLE", "1s")
	t.Setenv("STREAMFX_RECLAIM_INTERVAL", "1s")
	t.Setenv("STREAMFX_CONCURENCY", "4") // misspelt
	cfg, err := streamfx.ConfigFromEnv("STREAMFX")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	rdb := startRedis(t)
	app := fx.New(fx.NopLogger, fx.Supply(cfg, zap.New(core)), fx.Provide(func() redis.UniversalClient { return rdb }), streamfx.Module,
		fx.Provide(streamfx.AsRoute(goodRoute)))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	reclaim := logs.FilterMessageSnippet("MinIdle is below twice ReclaimInterval").All()
	if len(reclaim) != 1 || reclaim[0].ContextMap()["min_idle"] != time.Second {
		t.Errorf("MinIdle warnings %v, want one with min_idle 1s", reclaim)
	}
	unknown := logs.FilterMessageSnippet("unknown environment variables").All()
	if len(unknown) != 1 || !strings.Contains(strings.Join(unknownVars(unknown[0]), ","), "STREAMFX_CONCURENCY") {
		t.Errorf("unknown-variable warnings %v, want one naming STREAMFX_CONCURENCY", unknown)
	}

	// The defaults (MinIdle 30s, ReclaimInterval 10s) give no warning.
	core, logs = observer.New(zapcore.WarnLevel)
	ok := streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"orders"}}}}
	if err := fx.New(fx.NopLogger, fx.Supply(ok, zap.New(core)), fx.Provide(func() redis.UniversalClient { return rdb }), streamfx.Module,
		fx.Provide(streamfx.AsRoute(goodRoute))).Err(); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("warnings with the defaults: %v", logs.AllUntimed())
	}
}

func unknownVars(e observer.LoggedEntry) []string {
	var out []string
	for _, f := range e.Context {
		if f.Key == "variables" {
			if arr, ok := f.Interface.(zapcore.ArrayMarshaler); ok {
				enc := zapcore.NewMapObjectEncoder()
				_ = enc.AddArray("v", arr)
				for _, v := range enc.Fields["v"].([]any) {
					out = append(out, v.(string))
				}
			}
		}
	}
	return out
}
