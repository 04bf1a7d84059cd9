package health_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/streamfx/streamfx/dispatcher/health"
)

// A readiness endpoint for a processor that records the time of its last
// successful read.
func Example() {
	var lastRead atomic.Int64 // unix nanoseconds, written by the read loop
	last := func() time.Time {
		if n := lastRead.Load(); n != 0 {
			return time.Unix(0, n)
		}
		return time.Time{}
	}
	h := health.Handler(map[string]health.Check{
		"reads": health.Recency(last, 30*time.Second),
		"redis": func(context.Context) error { return nil }, // health.RedisGroup(rdb, "orders", "billing")
	})

	serve := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		fmt.Print(rec.Code, " ", rec.Body)
	}
	serve()
	lastRead.Store(time.Now().UnixNano())
	serve()
	// Output:
	// 503 {"status":"fail","checks":{"reads":{"status":"fail","error":"health: no recent successful read: no successful read yet"},"redis":{"status":"ok"}}}
	// 200 {"status":"ok","checks":{"reads":{"status":"ok"},"redis":{"status":"ok"}}}
}
