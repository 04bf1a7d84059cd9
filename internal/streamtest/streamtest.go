// Package streamtest holds test helpers shared by the Redis-backed test
// suites: starting and stopping a redisstream.Processor.
package streamtest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// StartProcessor creates and starts a processor (Start gets 10s) and shuts
// it down with Stop when t ends.
func StartProcessor(t testing.TB, rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg redisstream.ProcessorConfig) *redisstream.Processor {
	t.Helper()
	p, err := redisstream.NewProcessor(rdb, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Stop(t, p) })
	return p
}

// Stop shuts p down within 10s and fails t unless it stops cleanly.
// Shutdown is idempotent, so a test may call Stop before its cleanup does.
func Stop(t testing.TB, p *redisstream.Processor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}
