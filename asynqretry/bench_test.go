package asynqretry_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/streamfx/streamfx/asynqretry"
	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/redistest"
)

// BenchmarkScheduleRetry measures one ScheduleRetry (one enqueue round trip)
// against a local redis-server.
func BenchmarkScheduleRetry(b *testing.B) {
	rdb := redistest.Start(b).Client(b)
	s, err := asynqretry.NewScheduler(rdb, asynqretry.Config{})
	if err != nil {
		b.Fatal(err)
	}
	msg := dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid", "order_id": "42", "amount": "json:12.5"})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		msg.ID = strconv.Itoa(i) + "-0"
		if err := s.ScheduleRetry(ctx, dispatcher.RetryRequest{Message: msg, Route: "bill", Attempt: 1, Err: errors.New("x"), Delay: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRetryLateness measures how late a retry runs after its delay
// (reported as lateness-ms), with the package's default polling intervals.
func BenchmarkRetryLateness(b *testing.B) {
	rdb := redistest.Start(b).Client(b)
	const delay = 10 * time.Millisecond
	s, err := asynqretry.NewScheduler(rdb, asynqretry.Config{Backoff: func(int) time.Duration { return delay }})
	if err != nil {
		b.Fatal(err)
	}
	ran := make(chan time.Time, 1)
	d := dispatcher.New(dispatcher.Config{Retry: s})
	d.OnFunc("order.paid", func(context.Context, *dispatcher.Message) error { ran <- time.Now(); return nil }, dispatcher.Named("bill"))
	srv, err := asynqretry.NewServer(rdb, d, s)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Shutdown(ctx) }()
	var late time.Duration
	n := 0
	for b.Loop() {
		msg := dispatcher.NewMessage("orders", strconv.Itoa(n)+"-0", map[string]string{"type": "order.paid"})
		start := time.Now()
		if err := s.ScheduleRetry(ctx, dispatcher.RetryRequest{Message: msg, Route: "bill", Attempt: 1}); err != nil {
			b.Fatal(err)
		}
		late += (<-ran).Sub(start) - delay
		n++
	}
	b.ReportMetric(float64(late.Milliseconds())/float64(n), "lateness-ms")
}
