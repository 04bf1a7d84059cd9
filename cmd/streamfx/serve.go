package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/streamfx/streamfx/dispatcher/dashboard"
	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// runServe runs the web dashboard until interrupted.
func runServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve [STREAM...] [-addr :8081] [-read-only]")
	var cfg dashboard.Config
	addr := fs.String("addr", ":8081", "address to listen on")
	fs.BoolVar(&cfg.ReadOnly, "read-only", false, "no replay or delete buttons; their POST answers 403")
	fs.StringVar(&cfg.DeadLetterStream, "dead-stream", "", "dead-letter stream of every stream (default STREAM:dead)")
	fs.DurationVar(&cfg.Refresh, "refresh", 2*time.Second, "how often the overview refreshes")
	streams, _, rdb, err := a.open(ctx, fs, args, 0, -1, inspect.Config{})
	if err != nil {
		return err
	}
	defer rdb.Close()
	cfg.Streams = streams
	d, err := dashboard.New(rdb, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 5 * time.Second}
	mode := ""
	if cfg.ReadOnly {
		mode = " (read-only)"
	}
	fmt.Fprintf(a.out, "streamfx dashboard on http://%s/%s; Ctrl-C stops it\n", ln.Addr(), mode)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(stop); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
