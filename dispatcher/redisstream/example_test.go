package redisstream_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// Example shows a processor and a publisher sharing one client. It needs a
// running Redis, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close() // the client is the caller's: nothing else closes it

	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		var o struct {
			ID int64 `json:"id"`
		}
		if err := msg.Decode(&o); err != nil {
			return err // decode errors are permanent: dead-lettered at once
		}
		fmt.Println("paid", o.ID, "attempt", msg.Attempt)
		return nil
	})

	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{
		Streams: []string{"orders"},
		Group:   "billing",
	})
	if err != nil {
		panic(err)
	}
	if err := p.Start(ctx); err != nil {
		panic(err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = p.Shutdown(stopCtx)
	}()

	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 100_000})
	if _, err := pub.Publish(ctx, "orders", "order.paid", map[string]any{"id": 42}); err != nil {
		panic(err)
	}
}

// ExamplePublisher_Request shows the request/reply exchange: a handler
// answers with Reply, the caller waits with Request.
func ExamplePublisher_Request() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})

	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("price.quote", func(ctx context.Context, msg *dispatcher.Message) error {
		return pub.Reply(ctx, msg, map[string]any{"price": 12.5})
	})
	// ... a Processor consumes "quotes" with d ...

	reply, err := pub.Request(ctx, "quotes", "price.quote", map[string]any{"sku": "A-1"}, 2*time.Second)
	if err != nil {
		fmt.Println(err) // errors.Is(err, redisstream.ErrReplyTimeout) when nobody answered
		return
	}
	var q struct {
		Price float64 `json:"price"`
	}
	_ = reply.Decode(&q)
	fmt.Println(q.Price)
}
