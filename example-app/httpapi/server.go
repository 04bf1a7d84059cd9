// Package httpapi is the example app's HTTP endpoint: POST /publish appends
// an event to a stream, GET /healthz is the module's readiness check
// (*streamfx.Health: Redis answers, the consumer groups exist, the
// processors read), GET /metrics serves the Prometheus metrics when the app
// provides a prometheus.Gatherer, and /ops/ is the streamfx dashboard
// (dispatcher/dashboard: lag, pending entries, dead letters and their replay).
package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/dashboard"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/streamfx"
)

// Addr is the address the server listens on, such as ":8080" or
// "127.0.0.1:0" (a free port).
type Addr string

// Module runs the HTTP server with the app. It needs an Addr.
var Module = fx.Module("httpapi",
	fx.Provide(New, newDashboard),
	fx.Invoke(func(*Server) {}),
)

// Params are the dependencies of New.
type Params struct {
	fx.In

	Lifecycle fx.Lifecycle
	Addr      Addr
	Publisher *redisstream.Publisher
	Health    *streamfx.Health
	Dashboard *dashboard.Dashboard
	Logger    *zap.Logger
	// Metrics, when provided, is served at GET /metrics.
	Metrics prometheus.Gatherer `optional:"true"`
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
	h := &handlers{pub: p.Publisher, log: p.Logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", h.publish)
	mux.Handle("GET /healthz", p.Health)
	mux.Handle("/ops/", http.StripPrefix("/ops", p.Dashboard))
	if p.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(p.Metrics, promhttp.HandlerOpts{}))
	}
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

// newDashboard returns the streamfx dashboard over every stream of the app's
// Redis.
func newDashboard(rdb redis.UniversalClient) (*dashboard.Dashboard, error) {
	return dashboard.New(rdb, dashboard.Config{})
}

// Addr returns the address the server listens on, once started.
func (s *Server) Addr() string { return s.addr }
