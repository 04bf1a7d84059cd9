package streamfx_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/streamfx"
)

// TestFatalPartitionErrorShutsDownTheApp: when the Processor of one
// partition of a partitioned stream dies (here the partition's key is
// replaced by a string), the app is shut down with exit code 1, as for a
// plain stream, instead of running on with the partition unread.
func TestFatalPartitionErrorShutsDownTheApp(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	stream, err := partition.New("users", 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := streamfx.Config{Partitioned: []redisstream.PartitionedConfig{{
		Stream: stream, LeaseTTL: 2 * time.Second,
		Processor: redisstream.ProcessorConfig{Consumer: "test-consumer", Block: 50 * time.Millisecond},
	}}}
	var ps *streamfx.Processors
	app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module, usersModule, fx.Populate(&ps))
	app.RequireStart()
	defer app.RequireStop()
	p := ps.Partitioned()[0]
	eventually(t, "both partitions are read", func() bool { return len(p.Owned()) == 2 })
	ctx := context.Background()
	if _, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, stream.Key(1))
		pipe.Set(ctx, stream.Key(1), "not a stream", 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sig := receive(t, app.Wait(), "the app to shut down")
	if sig.ExitCode != 1 {
		t.Errorf("exit code = %d, want 1", sig.ExitCode)
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "partition 1 of users") {
		t.Errorf("Err() = %v, want the fatal error of partition 1", err)
	}
}
