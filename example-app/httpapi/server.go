// Package httpapi is the example app's HTTP endpoint: POST /publish appends
// an event to a stream, GET /healthz reports whether Redis answers and the
// stream processors run.
package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// Addr is the address the server listens on, such as ":8080" or
// "127.0.0.1:0" (a free port).
type Addr string

// Module runs the HTTP server with the app. It needs an Addr.
var Module = fx.Module("httpapi",
	fx.Provide(New),
	fx.Invoke(func(*Server) {}),
)

// Params are the dependencies of New.
type Params struct {
	fx.In

	Lifecycle  fx.Lifecycle
	Addr       Addr
	Publisher  *redisstream.Publisher
	Redis      redis.UniversalClient
	Processors *streamfx.Processors
	Logger     *zap.Logger
}

// Server is the HTTP server.
type Server struct {
	srv  *http.Server
	addr string
}

// New builds the server and appends its lifecycle hook: OnStart listens (so a
// busy port fails the start) and serves in the background, OnStop shuts it
// down gracefully within the stop context.
func New(p Params) *Server {
	h := &handlers{pub: p.Publisher, rdb: p.Redis, procs: p.Processors, log: p.Logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", h.publish)
	mux.HandleFunc("GET /healthz", h.healthz)
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	log := p.Logger.Named("http")
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", string(p.Addr))
			if err != nil {
				return err
			}
			s.addr = ln.Addr().String()
			log.Info("listening", zap.String("addr", s.addr))
			go func() {
				if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("serve", zap.Error(err))
				}
			}()
			return nil
		},
		OnStop: s.srv.Shutdown,
	})
	return s
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() string { return s.addr }
