package redisstream_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
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

// An ordered Processor (OrderKey) runs the events of one account one at a
// time, in stream order, while the events of other accounts run
// concurrently on its 8 workers: the withdrawals of account a never run
// before its deposit, however long the deposit takes. (miniredis stands in for Redis so that the example runs
// anywhere; use a real server in production.)
func ExampleProcessorConfig_orderKey() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	var mu sync.Mutex
	balance := map[string]int{}
	var done sync.WaitGroup
	done.Add(3)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("account.moved", func(_ context.Context, msg *dispatcher.Message) error {
		defer done.Done()
		var m struct {
			Account string `json:"account"`
			Amount  int    `json:"amount"`
		}
		if err := msg.Decode(&m); err != nil {
			return err
		}
		if m.Amount > 0 {
			time.Sleep(20 * time.Millisecond) // a slow deposit
		}
		mu.Lock()
		defer mu.Unlock()
		if balance[m.Account]+m.Amount < 0 {
			return dispatcher.Permanent(fmt.Errorf("account %s overdrawn", m.Account))
		}
		balance[m.Account] += m.Amount
		fmt.Printf("%s %+d -> %d\n", m.Account, m.Amount, balance[m.Account])
		return nil
	})
	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{
		Streams:     []string{"moves"},
		Group:       "ledger",
		Block:       50 * time.Millisecond,
		Concurrency: 8,
		OrderKey:    "account", // the field that names the key
	})
	if err != nil {
		panic(err)
	}
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	for _, m := range []map[string]any{
		{"account": "a", "amount": 100}, {"account": "a", "amount": -30}, {"account": "a", "amount": -50},
	} {
		if _, err := pub.Publish(ctx, "moves", "account.moved", m); err != nil {
			panic(err)
		}
	}
	if err := p.Start(ctx); err != nil {
		panic(err)
	}
	done.Wait()
	if err := p.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// a +100 -> 100
	// a -30 -> 70
	// a -50 -> 20
}
