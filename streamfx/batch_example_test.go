package streamfx_test

import (
	"context"
	"fmt"
	"github.com/redis/go-redis/v9"
	"time"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// A batch route is contributed like any route: a Route literal with Batch
// instead of Handler (AsRoute), or Router.OnBatch (AsRouter).
func ExampleAsRoute_batch() {
	insertRows := func() dispatcher.Route {
		return dispatcher.Route{Type: "row.added", Name: "rows.insert", MaxBatch: 500,
			Batch: dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
				fmt.Println("insert", len(msgs), "rows")
				return nil
			})}
	}
	newIndexRouter := func() *dispatcher.Router {
		r := dispatcher.NewRouter()
		r.OnBatch("doc.saved", dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
			return nil
		}), dispatcher.Named("docs.index"), dispatcher.WithMaxWait(time.Second))
		return r
	}
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"}) // connects only when used: never here
	defer rdb.Close()
	var d *dispatcher.Dispatcher
	app := fx.New(fx.NopLogger,
		fx.Provide(streamfx.AsRoute(insertRows), streamfx.AsRouter(newIndexRouter), zap.NewNop, func() redis.UniversalClient { return rdb }),
		fx.Supply(streamfx.Config{Processors: []redisstream.ProcessorConfig{{Streams: []string{"rows"}}}}),
		streamfx.Module, // built, not started: nothing connects to Redis
		fx.Populate(&d),
	)
	if err := app.Err(); err != nil {
		panic(err)
	}
	for _, typ := range []string{"row.added", "doc.saved"} {
		limits, ok := d.BatchLimits(typ)
		fmt.Println(typ, ok, limits.MaxBatch, limits.MaxWait)
	}
	msgs := []*dispatcher.Message{
		dispatcher.NewMessage("rows", "1-0", map[string]string{"type": "row.added"}),
		dispatcher.NewMessage("rows", "2-0", map[string]string{"type": "row.added"}),
	}
	fmt.Println(d.ProcessBatch(context.Background(), msgs)[1].Action)
	// Output:
	// row.added true 500 50ms
	// doc.saved true 100 1s
	// insert 2 rows
	// ack
}
