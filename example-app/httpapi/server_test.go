package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/streamfx"
)

// start runs the Server alone on a free port against rdb.
func start(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	var s *Server
	app := fxtest.New(t,
		fx.Supply(Addr("127.0.0.1:0"), zaptest.NewLogger(t), &streamfx.Processors{},
			redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})),
		fx.Provide(func() redis.UniversalClient { return rdb }),
		Module,
		fx.Populate(&s),
	)
	app.RequireStart()
	t.Cleanup(app.RequireStop)
	return "http://" + s.Addr()
}

func TestPublish(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	base := start(t, rdb)
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
	base := start(t, srv.Client(t))
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
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unavailable"`) {
		t.Fatalf("GET /healthz with Redis down = %d %s, want 503 unavailable", code, body)
	}
}
