package redisstream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for an eventual condition.
const waitTimeout = 15 * time.Second

// fastConfig returns a config with short intervals for tests.
func fastConfig(t testing.TB, streams ...string) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams:         streams,
		Group:           "g",
		Consumer:        "c1",
		BatchSize:       10,
		Block:           50 * time.Millisecond,
		Concurrency:     4,
		MinIdle:         200 * time.Millisecond,
		ReclaimInterval: 50 * time.Millisecond,
		MaxDeliveries:   3,
		Logger:          zaptest.NewLogger(t),
	}
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	streamtest.Eventually(t, waitTimeout, what, cond)
}

// publish adds n events of type typ to stream and returns their IDs.
func publish(t testing.TB, rdb redis.UniversalClient, stream, typ string, n int) []string {
	t.Helper()
	return streamtest.MustPublish(t, redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}), stream, typ, n)
}

// pending returns the number of entries in the group's PEL.
func pending(t testing.TB, rdb redis.UniversalClient, stream, group string) int64 {
	t.Helper()
	return streamtest.Pending(t, rdb, stream, group)
}

// deadLetters returns the entries of a dead-letter stream.
func deadLetters(t testing.TB, rdb redis.UniversalClient, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// newRedis starts a redis-server for t and returns a client.
func newRedis(t testing.TB, extra ...string) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t, extra...)
	return srv, srv.Client(t)
}

// counted returns a dispatcher with rec's Handle on typ.
func counted(rec *streamtest.Recorder, typ string) *dispatcher.Dispatcher {
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc(typ, rec.Handle, dispatcher.Named(fmt.Sprintf("%s-recorder", typ)))
	return d
}

// observed returns a logger that writes to t and records every entry.
func observed(t testing.TB) (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core)), logs
}

// readAs reads up to n new entries of stream as consumer, never acking
// them: a consumer that dies after reading.
func readAs(t testing.TB, rdb redis.UniversalClient, stream, consumer string, n int) []string {
	t.Helper()
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		t.Fatal(err)
	}
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "g", Consumer: consumer, Streams: []string{stream, ">"}, Count: int64(n), Block: -1,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range res[0].Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

// observe makes cfg log to t and to the returned recorder.
func observe(cfg *redisstream.ProcessorConfig, t testing.TB) *observer.ObservedLogs {
	var logs *observer.ObservedLogs
	cfg.Logger, logs = observed(t)
	return logs
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
}

// redisClient returns a client for addr, closed when t ends.
func redisClient(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// errBad is the error of handlers that fail on purpose.
var errBad = errors.New("bad on purpose")
