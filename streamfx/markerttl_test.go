package streamfx_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
	"github.com/streamfx/streamfx/streamfx"
)

// TestRetryMarkerTTL: with WithAsynqRetry, the retry worker takes the
// processors' MarkerTTL (partitioned streams' included) when its own is zero, and a MarkerTTL that differs
// (the worker would look for the completion markers in other hashes), or
// processors that differ among themselves, fail fx.New. No Redis is
// needed: nothing connects.
func TestRetryMarkerTTL(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	stream := func(name string, ttl time.Duration) redisstream.ProcessorConfig {
		return redisstream.ProcessorConfig{Streams: []string{name}, Group: "g-" + name, MarkerTTL: ttl}
	}
	orders, err := partition.New("orders", 4)
	if err != nil {
		t.Fatal(err)
	}
	partitioned := []redisstream.PartitionedConfig{{Stream: orders, Processor: redisstream.ProcessorConfig{Group: "g-orders", MarkerTTL: time.Hour}}}
	tests := []struct {
		name       string
		processors []redisstream.ProcessorConfig
		partitions []redisstream.PartitionedConfig
		retryTTL   time.Duration
		want       time.Duration // the worker's MarkerTTL, or 0 for an error
		errs       []string
	}{
		{"defaults", []redisstream.ProcessorConfig{stream("users", 0)}, nil, 0, 15 * time.Minute, nil},
		{"taken from the processors", []redisstream.ProcessorConfig{stream("users", time.Hour), stream("emails", time.Hour)},
			partitioned, 0, time.Hour, nil},
		{"equal", []redisstream.ProcessorConfig{stream("users", time.Hour)}, nil, time.Hour, time.Hour, nil},
		{"no processor", nil, nil, 20 * time.Minute, 20 * time.Minute, nil},
		{"differs from the default", []redisstream.ProcessorConfig{stream("users", 0)}, nil, time.Hour, 0,
			[]string{"asynqretry.Config.MarkerTTL is 1h0m0s and the processors' MarkerTTL 15m0s"}},
		{"differs", []redisstream.ProcessorConfig{stream("users", 30*time.Minute)}, nil, 15 * time.Minute, 0,
			[]string{"asynqretry.Config.MarkerTTL is 15m0s and the processors' MarkerTTL 30m0s"}},
		{"processors differ", []redisstream.ProcessorConfig{stream("users", time.Hour), stream("emails", 0)}, nil, 0, 0,
			[]string{`streams [users] and [emails] have MarkerTTL 1h0m0s and 15m0s`}},
		{"a partitioned stream differs", []redisstream.ProcessorConfig{stream("users", 0)}, partitioned, 0, 0,
			[]string{`streams [users] and [orders] have MarkerTTL 15m0s and 1h0m0s`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sched *asynqretry.Scheduler
			opts := []fx.Option{fx.NopLogger, streamfx.Module, streamfx.WithAsynqRetry(asynqretry.Config{MarkerTTL: tt.retryTTL}),
				fx.Supply(streamfx.Config{Processors: tt.processors, Partitioned: tt.partitions}),
				fx.Provide(func() redis.UniversalClient { return rdb }, zap.NewNop), fx.Populate(&sched)}
			if len(tt.processors) > 0 {
				opts = append(opts, usersModule)
			}
			err := fx.New(opts...).Err()
			if tt.want != 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := sched.Config().MarkerTTL; got != tt.want {
					t.Errorf("the retry worker's MarkerTTL is %s, want %s", got, tt.want)
				}
				return
			}
			if !errors.Is(err, streamfx.ErrInvalidConfig) {
				t.Fatalf("fx.New = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.errs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}
