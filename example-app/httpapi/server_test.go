package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/streamfx"
)

// start runs the Server alone on a free port against rdb, with the
// Publisher and Health of a publish-only streamfx.Module (Health then has one
// check, a Redis PING) and, if reg is not nil, /metrics.
func start(t *testing.T, rdb redis.UniversalClient, reg prometheus.Gatherer) string {
	t.Helper()
	var s *Server
	opts := []fx.Option{
		fx.Supply(Addr("127.0.0.1:0"), zaptest.NewLogger(t), streamfx.Config{}),
		fx.Provide(func() redis.UniversalClient { return rdb }),
		streamfx.Module, // a publish-only app: the Publisher, and a Health of one Redis check
		Module,
		fx.Populate(&s),
	}
	if reg != nil {
		opts = append(opts, fx.Provide(func() prometheus.Gatherer { return reg }))
	}
	app := fxtest.New(t, opts...)
	app.RequireStart()
	t.Cleanup(app.RequireStop)
	return "http://" + s.Addr()
}

func TestPublish(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	base := start(t, rdb, nil)
	tests := []struct {
		name, body string
		wantCode   int
		wantBody   string
	}{
		{"event", `{"stream":"orders","type":"order.paid","payload":{"order_id":"o-1","amount":12345678901234567890}}`, http.StatusAccepted, `"id":`},
		{"no payload", `{"stream":"orders","type":"order.paid"}`, http.StatusAccepted, `"id":`},
		{"no type", `{"stream":"orders","payload":{}}`, http.StatusBadRequest, "required"},
		{"no stream", `{"type":"order.paid"}`, http.StatusBadRequest, "required"},
		{"not JSON", `order.paid`, http.StatusBadRequest, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(base+"/publish", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.wantBody) {
				t.Fatalf("POST /publish %s = %d %s, want %d with %q", tt.body, resp.StatusCode, b, tt.wantCode, tt.wantBody)
			}
		})
	}
	// The first event is in the stream in the wire format, every digit kept.
	entries, err := rdb.XRange(t.Context(), "orders", "-", "+").Result()
	if err != nil || len(entries) != 2 {
		t.Fatalf("XRANGE orders = %v, %v; want 2 entries", entries, err)
	}
	want := map[string]any{"type": "order.paid", "order_id": "o-1", "amount": "json:12345678901234567890"}
	for k, v := range want {
		if entries[0].Values[k] != v {
			t.Errorf("field %s = %v, want %v", k, entries[0].Values[k], v)
		}
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	base := start(t, srv.Client(t), nil)
	get := func() (int, string) {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("GET /healthz = %d %s, want 200 ok", code, body)
	}
	srv.Kill(9)
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"fail"`) {
		t.Fatalf("GET /healthz with Redis down = %d %s, want 503 fail", code, body)
	}
}

// TestMetrics checks that GET /metrics serves the provided gatherer, and
// that there is no /metrics without one.
func TestMetrics(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "example_seen_total", Help: "Test counter."})
	c.Add(3)
	reg.MustRegister(c)
	for name, tt := range map[string]struct {
		reg      prometheus.Gatherer
		wantCode int
		wantBody string
	}{
		"with a gatherer": {reg, http.StatusOK, "example_seen_total 3"},
		"without":         {nil, http.StatusNotFound, ""},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(start(t, rdb, tt.reg) + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("GET /metrics = %d %s, want %d with %q", resp.StatusCode, b, tt.wantCode, tt.wantBody)
			}
		})
	}
}

// TestDashboardMounted checks that the streamfx dashboard answers under
// /ops/ with the app's streams and groups, and its dead-letter page links.
func TestDashboardMounted(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	base := start(t, rdb, nil)
	rdb.XGroupCreateMkStream(t.Context(), "orders", "billing", "$")
	rdb.XAdd(t.Context(), &redis.XAddArgs{Stream: "orders", Values: []string{"type", "order.paid"}})
	resp, err := http.Get(base + "/ops/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if page := string(body); resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-group="billing">1</td>`) || !strings.Contains(page, `href="dead"`) {
		t.Errorf("GET /ops/ answered %d without billing's lag of 1 and the dead-letter link:\n%s", resp.StatusCode, page)
	}
}
