// Command streamfx shows and repairs the Redis streams of streamfx
// applications: the lag and pending entries of consumer groups, dead letters
// decoded and replayed, a stream followed live, acknowledged entries trimmed,
// and a web dashboard.
//
// Install it with
//
//	go install github.com/streamfx/streamfx/cmd/streamfx@latest
//
// and run `streamfx help` for the commands. It connects to the Redis of
// -redis URL, or of $REDIS_URL, or redis://localhost:6379: a single node or
// a Redis Cluster (found out by asking the node; a URL with addr=host:port
// parameters is a Cluster's). Passwords are never printed. Every error ends
// the command with a message on stderr and exit status 1.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// quiet is a go-redis logger that drops everything.
type quiet struct{}

// Printf drops the message.
func (quiet) Printf(context.Context, string, ...any) {}

func main() {
	// go-redis logs failed dials itself; the command reports the error once.
	redis.SetLogger(quiet{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
