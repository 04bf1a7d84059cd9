package streamfx_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/streamfx/streamfx/dispatcher/health"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/streamfx"
)

// probe runs h once and returns the status code and the report.
func probe(t *testing.T, h http.Handler) (int, health.Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var rep health.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return rec.Code, rep
}

// TestHealth checks the module's readiness endpoint: 503 before the
// processors start, 200 once they read, and 503 naming the failed check
// once the group is destroyed after stop, the reads go stale after stop, or
// Redis is stopped while the app runs.
func TestHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		breaks func(t *testing.T, srv *redistest.Server, app *fxtest.App)
		failed string // the check that must fail
	}{
		{name: "group destroyed", failed: "group:orders", breaks: func(t *testing.T, srv *redistest.Server, app *fxtest.App) {
			app.RequireStop() // or the processor recreates the group
			rdb := srv.Client(t)
			if err := rdb.XGroupDestroy(context.Background(), "orders", "workers").Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "reads stale after stop", failed: "read:orders", breaks: func(t *testing.T, _ *redistest.Server, app *fxtest.App) {
			app.RequireStop()
		}},
		{name: "redis stopped", failed: "group:orders", breaks: func(t *testing.T, srv *redistest.Server, app *fxtest.App) {
			srv.Kill(syscall.SIGKILL)
			t.Cleanup(app.RequireStop)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := redistest.Start(t)
			rdb := srv.Client(t)
			cfg := streamfx.Config{Processors: []redisstream.ProcessorConfig{fastStream("orders", "workers")}}
			var h *streamfx.Health
			app := fxtest.New(t, baseOptions(t, rdb, cfg, nil), streamfx.Module,
				fx.Provide(streamfx.AsRoute(goodRoute)), fx.Populate(&h))
			if code, rep := probe(t, h); code != http.StatusServiceUnavailable || len(rep.Checks) != 2 {
				t.Errorf("before start: %d %+v, want 503 with 2 checks", code, rep)
			}
			app.RequireStart()
			eventually(t, "200 while running", func() bool { code, _ := probe(t, h); return code == http.StatusOK })
			tt.breaks(t, srv, app)
			eventually(t, tt.failed+" failing", func() bool {
				code, rep := probe(t, h)
				return code == http.StatusServiceUnavailable && rep.Checks[tt.failed].Status == "fail"
			})
		})
	}
}

// TestHealthWithoutStreams checks that a publish-only app gets a Redis
// PING check.
func TestHealthWithoutStreams(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var h *streamfx.Health
	app := fxtest.New(t, baseOptions(t, srv.Client(t), streamfx.Config{}, nil), streamfx.Module, fx.Populate(&h))
	app.RequireStart()
	defer app.RequireStop()
	if code, rep := probe(t, h); code != http.StatusOK || rep.Checks["redis"].Status != "ok" || len(h.Checks()) != 1 {
		t.Errorf("publish-only app: %d %+v, want 200 with the redis check", code, rep)
	}
	srv.Kill(syscall.SIGKILL)
	if code, rep := probe(t, h); code != http.StatusServiceUnavailable || rep.Checks["redis"].Status != "fail" {
		t.Errorf("redis stopped: %d %+v, want 503", code, rep)
	}
}
