package dashboard_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/dashboard"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/opstest"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestScreenshot writes the README's screenshot of the overview to the PNG
// file named by STREAMFX_SCREENSHOT (task screenshot): the opstest fixture,
// then 25 seconds of orders published faster than two of three groups
// handle them, then 15 seconds without, so that the chart shows lag rise and
// fall.
func TestScreenshot(t *testing.T) {
	path := os.Getenv("STREAMFX_SCREENSHOT")
	if path == "" {
		t.Skip("set STREAMFX_SCREENSHOT=$PWD/docs/dashboard.png to write the README's screenshot (task screenshot)")
	}
	rdb := redistest.Start(t).Client(t)
	opstest.Seed(t, rdb)
	ctx := context.Background()
	// Three groups consume orders at different speeds; payments is read by
	// one of them.
	for _, g := range []struct {
		group   string
		streams []string
		each    time.Duration
	}{
		{opstest.Group, []string{opstest.Stream}, 0},
		{opstest.LaggingGroup, []string{opstest.Stream}, 90 * time.Millisecond},
		{"shipping", []string{opstest.Stream, "payments"}, 45 * time.Millisecond},
	} {
		d := dispatcher.New(dispatcher.Config{})
		handle := func(ctx context.Context, msg *dispatcher.Message) error {
			time.Sleep(g.each)
			return nil
		}
		d.OnFunc("order.paid", handle)
		d.OnFunc("payment.captured", handle)
		streamtest.StartProcessor(t, rdb, d, redisstream.ProcessorConfig{
			Streams: g.streams, Group: g.group, Consumer: g.group + "-1", Concurrency: 1, BatchSize: 5,
		})
	}
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			_, _ = pub.Publish(ctx, opstest.Stream, "order.paid", map[string]any{"order_id": i})
			if i%3 == 0 {
				_, _ = pub.Publish(ctx, "payments", "payment.captured", map[string]any{"n": i})
			}
		}
	}()
	dash, err := dashboard.New(rdb, dashboard.Config{Refresh: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	bctx := browser(t)
	if err := chromedp.Do(bctx, chromedp.Navigate(mounted(t, dash))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Second)
	close(stop)
	time.Sleep(15 * time.Second)
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100) /* 100: PNG */)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
