package redisstream_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestSmallPoolWarning starts a Processor of two streams on clients of
// several pool sizes: Start must warn when the pool cannot hold both
// blocked reads and 3 more connections, and only then.
func TestSmallPoolWarning(t *testing.T) {
	t.Parallel()
	srv, _ := newRedis(t)
	tests := []struct {
		name     string
		poolSize int // 0: go-redis's default, 10 per CPU
		warns    bool
	}{
		{name: "pool of 4", poolSize: 4, warns: true},
		{name: "pool of 5", poolSize: 5, warns: false},
		{name: "default pool", poolSize: 0, warns: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: tt.poolSize})
			t.Cleanup(func() { _ = rdb.Close() })
			cfg := fastConfig(t, "pool-a", "pool-b")
			logs := observe(&cfg, t)
			p := streamtest.StartProcessor(t, rdb, dispatcher.New(dispatcher.Config{}), cfg)
			streamtest.Stop(t, p)
			if n := logs.FilterMessageSnippet("pool too small").Len(); (n > 0) != tt.warns {
				t.Errorf("%d pool warnings, want a warning: %v", n, tt.warns)
			}
		})
	}
}
