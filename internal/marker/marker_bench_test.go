package marker_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/internal/marker"
	"github.com/streamfx/streamfx/internal/redistest"
)

// BenchmarkMarkerMemory measures the Redis memory a completion marker
// takes (MEMORY USAGE of the window's hash, all of it sampled, over its
// number of markers) for 10,000 and 100,000 markers of a 15-character
// route on entry IDs like "1764547200000-3", recorded in flushes of 500 as
// the Processor does. The bytes/marker metric is what the docs of
// ProcessorConfig.MarkerTTL and the README quote.
func BenchmarkMarkerMemory(b *testing.B) {
	rdb := redistest.Start(b).Client(b)
	ctx := context.Background()
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("markers=%d", n), func(b *testing.B) {
			var perMarker float64
			round := 0
			for b.Loop() {
				round++
				group := fmt.Sprintf("g%d-%d", n, round)
				store := marker.New(rdb, group, marker.DefaultTTL)
				for start := 0; start < n; start += 500 {
					fields := make([]string, 0, 500)
					for i := start; i < min(n, start+500); i++ {
						fields = append(fields, marker.Field(fmt.Sprintf("%d-%d", 1764547200000+i/10, i%10), "payments.charge"))
					}
					if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
						store.Record(ctx, p, "orders", fields)
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				perMarker = redistest.BytesPerField(b, rdb, "{orders}:done:"+group+":*")
			}
			b.ReportMetric(perMarker, "bytes/marker")
		})
	}
}
