package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// BytesPerField returns the Redis memory of the hashes whose names match
// pattern (MEMORY USAGE with every field sampled) over the number of fields
// they hold, and deletes them: what one field costs, for the docs of the
// dedup keys and completion markers. The test fails if no hash matches.
func BytesPerField(t testing.TB, rdb redis.UniversalClient, pattern string) float64 {
	t.Helper()
	ctx := context.Background()
	var bytes, fields int64
	for _, h := range rdb.Keys(ctx, pattern).Val() {
		bytes += rdb.MemoryUsage(ctx, h, 0).Val()
		fields += rdb.HLen(ctx, h).Val()
		rdb.Del(ctx, h)
	}
	if fields == 0 {
		t.Fatalf("redistest: no hash field in %s", pattern)
	}
	return float64(bytes) / float64(fields)
}
