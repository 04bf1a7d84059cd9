package asynqretry_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
)

func ExampleExponentialBackoff() {
	backoff := asynqretry.ExponentialBackoff(time.Second, 10*time.Second, 0)
	for attempt := 1; attempt <= 5; attempt++ {
		fmt.Println(attempt, backoff(attempt))
	}
	// Output:
	// 1 1s
	// 2 2s
	// 3 4s
	// 4 8s
	// 5 10s
}

func ExampleTaskID() {
	a := asynqretry.TaskID("orders", "1700000000000-0", "billing", 1)
	b := asynqretry.TaskID("orders", "1700000000000-0", "billing", 1)
	c := asynqretry.TaskID("orders", "1700000000000-0", "billing", 2)
	fmt.Println(strings.HasPrefix(a, "streamfx:retry:"), a == b, a == c)
	// Output: true true false
}

// Example shows the wiring order: the scheduler first, then the dispatcher
// that uses it, then the worker side that runs retries through the
// dispatcher.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close() // the application owns the client; asynqretry never closes it

	sched, err := asynqretry.NewScheduler(rdb, asynqretry.Config{MaxAttempts: 5})
	if err != nil {
		panic(err)
	}
	d := dispatcher.New(dispatcher.Config{Retry: sched})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		return nil // retried alone, with backoff, when it fails
	})
	srv, err := asynqretry.NewServer(rdb, d, sched)
	if err != nil {
		panic(err)
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	// ... feed d from a stream processor ...
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(stop)
	_ = sched.Close()
}
