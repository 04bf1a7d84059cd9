package redisstream_test

import (
	"context"
	"fmt"
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
// events per call against a real Redis, without and with a DedupID on every
// event (a fresh one each time, so every event is written); -benchmem shows
// the allocations per batch, redis-µs/event the time Redis spent in the
// commands (INFO commandstats), which the load of the machine disturbs
// less than the rates.
func BenchmarkPublishBatch(b *testing.B) {
	_, rdb := newRedis(b)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 10000})
	for _, size := range []int{100, 500} {
		for _, keyed := range []bool{false, true} {
			name := fmt.Sprintf("events=%d/dedup=%t", size, keyed)
			b.Run(name, func(b *testing.B) {
				events := orderEvents(size)
				rdb.ConfigResetStat(ctx)
				b.ReportAllocs()
				batch := 0
				for b.Loop() {
					if keyed {
						for i := range events {
							events[i].DedupID = strconv.Itoa(batch) + "-" + strconv.Itoa(i)
						}
					}
					batch++
					if _, err := pub.PublishBatch(ctx, "bench:publish", events); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(redisMicros(b, rdb)/float64(b.N*size), "redis-µs/event")
			})
		}
	}
}

// orderEvents returns n order events.
func orderEvents(n int) []redisstream.Event {
	events := make([]redisstream.Event, n)
	for i := range events {
		events[i] = redisstream.Event{Type: "order.created", Payload: map[string]any{
			"order_id": "o-" + strconv.Itoa(i), "amount": 1999.5, "paid": i%2 == 0, "currency": "EUR",
			"items": []any{map[string]any{"sku": "SKU-1", "qty": 2, "price": 10.25}},
		}}
	}
	return events
}

// redisMicros returns the microseconds Redis spent in EVAL and EVALSHA
// since the last CONFIG RESETSTAT, or without scripts in XADD (the XADDs of
// a script count in both).
func redisMicros(b *testing.B, rdb *redis.Client) float64 {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	usec := map[string]float64{}
	for _, line := range strings.Split(info, "\n") {
		name, stats, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "cmdstat_xadd" && name != "cmdstat_evalsha" && name != "cmdstat_eval") {
			continue
		}
		for _, kv := range strings.Split(stats, ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				usec[name], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	if scripts := usec["cmdstat_eval"] + usec["cmdstat_evalsha"]; scripts > 0 {
		return scripts
	}
	return usec["cmdstat_xadd"]
}
