package redisstream_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestShutdownInFlight stops a processor while handlers run, then starts a
// new one under the same consumer name. A clean stop lets the handlers
// finish and acks them; a stop whose deadline passes cancels the stuck
// handlers and leaves their entries pending. Either way the second life
// drains what was left, and every entry succeeds exactly once overall.
func TestShutdownInFlight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stuck   int           // entries whose first run blocks until cancelled
		timeout time.Duration // Shutdown's deadline
	}{
		{name: "clean stop", timeout: 10 * time.Second},
		{name: "deadline passes", stuck: 3, timeout: 300 * time.Millisecond},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stream := "stop:" + tt.name
			ids := publish(t, rdb, stream, "tick", 40)
			stuck := ids[:tt.stuck]
			rec := new(streamtest.Recorder)
			started := make(chan string, len(ids))
			d := dispatcher.New(dispatcher.Config{})
			var running atomic.Int64
			d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
				running.Add(1)
				defer running.Add(-1)
				started <- msg.ID
				if slices.Contains(stuck, msg.ID) && msg.Attempt == 1 {
					<-ctx.Done()
					return ctx.Err()
				}
				time.Sleep(5 * time.Millisecond)
				return rec.Handle(ctx, msg)
			})
			cfg := fastConfig(t, stream)
			cfg.BatchSize = 5
			p := streamtest.StartProcessor(t, rdb, d, cfg)
			for range 8 {
				<-started // stop while handlers are in flight
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := p.Shutdown(ctx)
			if wantErr := tt.stuck > 0; wantErr != errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown = %v, want deadline exceeded: %v", err, wantErr)
			}
			if n := running.Load(); n != 0 {
				t.Errorf("%d handlers still running after Shutdown returned", n)
			}
			firstLife := rec.Len()
			left := pending(t, rdb, stream, "g")
			if tt.stuck > 0 && left < int64(tt.stuck) {
				t.Errorf("%d entries pending after the aborted stop, want at least the %d stuck ones", left, tt.stuck)
			}
			p2 := streamtest.StartProcessor(t, rdb, d, cfg)
			eventually(t, "every entry succeeded", func() bool { return rec.HandledAll(streamtest.Entries(stream, ids)) })
			eventually(t, "the PEL is empty", func() bool { return pending(t, rdb, stream, "g") == 0 })
			streamtest.Stop(t, p2)
			rec.ExactlyOnce(t, streamtest.Entries(stream, ids))
			t.Logf("first life: %d succeeded, %d pending at stop", firstLife, left)
		})
	}
}

// TestLifecycle calls Start and Shutdown in every order.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, p *redisstream.Processor)
	}{
		{name: "shutdown before start", run: shutdownBeforeStart},
		{name: "twice each", run: startStopTwice},
		{name: "concurrent", run: startStopConcurrently},
	}
	_, rdb := newRedis(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := dispatcher.New(dispatcher.Config{})
			p, err := redisstream.NewProcessor(rdb, d, fastConfig(t, "life:"+tt.name))
			if err != nil {
				t.Fatal(err)
			}
			tt.run(t, p)
			<-p.Done()
			if err := p.Err(); err != nil {
				t.Errorf("Err() = %v after Shutdown", err)
			}
			if err := p.Start(context.Background()); !errors.Is(err, redisstream.ErrClosed) {
				t.Errorf("Start after Shutdown = %v, want ErrClosed", err)
			}
		})
	}
}

func shutdownBeforeStart(t *testing.T, p *redisstream.Processor) {
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func startStopTwice(t *testing.T, p *redisstream.Processor) {
	ctx := context.Background()
	for range 2 {
		if err := p.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-p.Done():
		t.Fatal("Done closed while running")
	default:
	}
	for range 2 {
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func startStopConcurrently(t *testing.T, p *redisstream.Processor) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := p.Start(ctx); err != nil && !errors.Is(err, redisstream.ErrClosed) {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := p.Shutdown(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// TestStartUnreachable checks that Start fails, within its context, when
// Redis cannot be reached, and that the processor can still be shut down.
func TestStartUnreachable(t *testing.T) {
	t.Parallel()
	rdb := redisClient(t, freeAddr(t))
	p, err := redisstream.NewProcessor(rdb, dispatcher.New(dispatcher.Config{}), fastConfig(t, "s"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := p.Start(ctx); err == nil {
		t.Fatal("Start succeeded without Redis")
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestFatalWrongType replaces the stream with a string key under a running
// processor: it stops, Done is closed and Err says why. A key of the wrong
// type also fails Start.
func TestFatalWrongType(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	if err := rdb.Set(ctx, "not-a-stream", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	bad, err := redisstream.NewProcessor(rdb, dispatcher.New(dispatcher.Config{}), fastConfig(t, "not-a-stream"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Start(ctx); err == nil {
		t.Fatal("Start on a string key succeeded")
	}
	p := streamtest.StartProcessor(t, rdb, dispatcher.New(dispatcher.Config{}), fastConfig(t, "turns-bad"))
	if err := rdb.Del(ctx, "turns-bad").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "turns-bad", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(waitTimeout):
		t.Fatal("processor still running on a string key")
	}
	if p.Err() == nil {
		t.Fatal("Err() = nil after a fatal error")
	}
}

// TestNewProcessorInvalid checks the configuration errors.
func TestNewProcessorInvalid(t *testing.T) {
	t.Parallel()
	rdb := redisClient(t, freeAddr(t))
	d := dispatcher.New(dispatcher.Config{})
	tests := []struct {
		name string
		cfg  redisstream.ProcessorConfig
	}{
		{name: "no stream", cfg: redisstream.ProcessorConfig{Group: "g"}},
		{name: "no group", cfg: redisstream.ProcessorConfig{Streams: []string{"s"}}},
		{name: "duplicate stream", cfg: redisstream.ProcessorConfig{Streams: []string{"s", "s"}, Group: "g"}},
		{name: "negative", cfg: redisstream.ProcessorConfig{Streams: []string{"s"}, Group: "g", Concurrency: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := redisstream.NewProcessor(rdb, d, tt.cfg); !errors.Is(err, redisstream.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{Streams: []string{"s"}, Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Config()
	if c.BatchSize != 100 || c.Block != time.Second || c.Concurrency != 16 || c.MinIdle != 30*time.Second ||
		c.ReclaimInterval != 10*time.Second || c.MaxDeliveries != 5 || c.StartID != "0" ||
		c.MaxMessageBytes != 1<<20 || c.Consumer == "" || c.Logger == nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestFatalWithHandlerWaitingForContext: a reader meets a key of the wrong
// type while a handler of another stream waits for its context to end (a
// handler that honours its context, as every handler should). The
// Processor must still stop: Done closed and Err set, so that streamfx
// shuts the app down; the handler's context must end for that, MinIdle
// after the fatal error. It fails if the stop after a fatal error waits
// for the handlers without a bound.
func TestFatalWithHandlerWaitingForContext(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	started := make(chan struct{}, 1)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("slow", func(ctx context.Context, _ *dispatcher.Message) error {
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(t, "fine", "turns-bad"))
	publish(t, rdb, "fine", "slow", 1)
	select {
	case <-started:
	case <-time.After(waitTimeout):
		t.Fatal("the handler did not start")
	}
	if err := rdb.Del(ctx, "turns-bad").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "turns-bad", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Err set", func() bool { return p.Err() != nil })
	select {
	case <-p.Done():
	case <-time.After(waitTimeout):
		t.Fatalf("Done not closed %v after the fatal error %v: the app is never told", waitTimeout, p.Err())
	}
}
