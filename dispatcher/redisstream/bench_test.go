package redisstream_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// BenchmarkProcessor measures end-to-end consumption of b.N entries
// published beforehand, with default batch size and concurrency, and
// reports Redis commands per message from INFO commandstats.
func BenchmarkProcessor(b *testing.B) {
	_, rdb := newRedis(b)
	ctx := context.Background()
	const stream = "bench"
	for left := b.N; left > 0; left -= 1000 {
		publish(b, rdb, stream, "tick", min(left, 1000))
	}
	var handled atomic.Int64
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(context.Context, *dispatcher.Message) error {
		handled.Add(1)
		return nil
	})
	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", Block: 50 * time.Millisecond, Logger: zap.NewNop(),
	})
	if err != nil {
		b.Fatal(err)
	}
	rdb.ConfigResetStat(ctx)
	b.ResetTimer()
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	for handled.Load() < int64(b.N) || pending(b, rdb, stream, "g") > 0 {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if err := p.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	stats := commandCalls(b, rdb)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(stats["xack"])/float64(b.N), "xack/msg")
	b.ReportMetric(float64(stats["xreadgroup"])/float64(b.N), "xreadgroup/msg")
}

// commandCalls parses INFO commandstats into calls per command.
func commandCalls(t testing.TB, rdb redis.UniversalClient) map[string]int {
	out := map[string]int{}
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		out[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.Atoi(calls)
	}
	return out
}

// BenchmarkPublishBatch measures PublishBatch of 100 and of 500 order
// events per call against a real Redis; -benchmem shows the allocations per
// batch.
func BenchmarkPublishBatch(b *testing.B) {
	_, rdb := newRedis(b)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 10000})
	for _, size := range []int{100, 500} {
		b.Run("events="+strconv.Itoa(size), func(b *testing.B) {
			events := make([]redisstream.Event, size)
			for i := range events {
				events[i] = redisstream.Event{Type: "order.created", Payload: map[string]any{
					"order_id": "o-" + strconv.Itoa(i), "amount": 1999.5, "paid": i%2 == 0, "currency": "EUR",
					"items": []any{map[string]any{"sku": "SKU-1", "qty": 2, "price": 10.25}},
				}}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pub.PublishBatch(ctx, "bench:publish", events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
