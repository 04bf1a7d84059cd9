package inspect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// Streams returns the names of the streams in Redis, sorted, found with
// SCAN ... TYPE stream on every master (one node when the client is not a
// Cluster client). Dead-letter streams ("<stream>:dead", and the configured
// DeadLetterStream) are left out: Status reports them with their source.
func (in *Inspector) Streams(ctx context.Context) ([]string, error) {
	var (
		mu    sync.Mutex
		names []string
	)
	scan := func(ctx context.Context, node redis.Cmdable) error {
		iter := node.ScanType(ctx, 0, "*", 1000, "stream").Iterator()
		var found []string
		for iter.Next(ctx) {
			found = append(found, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return fmt.Errorf("inspect: scan for streams: %w", err)
		}
		mu.Lock()
		names = append(names, found...)
		mu.Unlock()
		return nil
	}
	var err error
	if cluster, ok := in.rdb.(*redis.ClusterClient); ok {
		err = cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return scan(ctx, node) })
	} else {
		err = scan(ctx, in.rdb)
	}
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(s string) bool {
		return strings.HasSuffix(s, dispatcher.DeadLetterSuffix) || s == in.cfg.DeadLetterStream
	})
	slices.Sort(names)
	return slices.Compact(names), nil
}
