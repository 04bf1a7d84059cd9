package redisstream_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
)

// BenchmarkDedupKeyMemory measures the Redis memory a dedup key takes
// (MEMORY USAGE of the window's hash, all of it sampled, over its number of
// keys) for 10,000 and 100,000 keys of one window: UUIDs (36 characters)
// and "order-<n>:paid" keys (12 to 16). The bytes/key metric is what the
// docs of Event.DedupID and the README quote.
func BenchmarkDedupKeyMemory(b *testing.B) {
	_, rdb := newRedis(b)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for _, n := range []int{10000, 100000} {
		for _, kind := range []string{"uuid", "order"} {
			b.Run(fmt.Sprintf("keys=%d/%s", n, kind), func(b *testing.B) {
				var perKey float64
				round := 0
				for b.Loop() {
					round++
					stream := fmt.Sprintf("mem:%s:%d:%d", kind, n, round)
					publishKeys(b, pub, stream, kind, n)
					perKey = redistest.BytesPerField(b, rdb, redisstream.DedupKeyPattern(stream))
					rdb.Del(ctx, stream)
				}
				b.ReportMetric(perKey, "bytes/key")
			})
		}
	}
}

// publishKeys publishes n events without payload to stream, each with a
// dedup key of the kind, in batches of 500.
func publishKeys(b *testing.B, pub *redisstream.Publisher, stream, kind string, n int) {
	events := make([]redisstream.Event, 0, 500)
	for start := 0; start < n; start += 500 {
		events = events[:0]
		for i := start; i < min(n, start+500); i++ {
			key := fmt.Sprintf("order-%d:paid", i)
			if kind == "uuid" {
				key = newUUID()
			}
			events = append(events, redisstream.Event{Type: "t", DedupID: key})
		}
		if _, err := pub.PublishBatch(context.Background(), stream, events); err != nil {
			b.Fatal(err)
		}
	}
}

// newUUID returns a random UUID in its 36-character text form.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
