package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/health"
	"github.com/streamfx/streamfx/internal/redistest"
)

func ok(context.Context) error { return nil }

func TestHandler(t *testing.T) {
	t.Parallel()
	blocked := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	cases := []struct {
		name   string
		checks map[string]health.Check
		code   int
		want   map[string]string // check name -> error substring ("" = ok)
	}{
		{"no checks", nil, http.StatusOK, map[string]string{}},
		{"all pass", map[string]health.Check{"a": ok, "b": ok}, http.StatusOK, map[string]string{"a": "", "b": ""}},
		{
			"one fails", map[string]health.Check{"a": ok, "b": func(context.Context) error { return errors.New("disk full") }},
			http.StatusServiceUnavailable, map[string]string{"a": "", "b": "disk full"},
		},
		{
			"panic", map[string]health.Check{"a": func(context.Context) error { panic("boom") }},
			http.StatusServiceUnavailable, map[string]string{"a": "health: check panicked: boom"},
		},
		{"timeout", map[string]health.Check{"slow": blocked}, http.StatusServiceUnavailable, map[string]string{"slow": "deadline exceeded"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := health.Handler(tc.checks, health.WithTimeout(50*time.Millisecond))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != tc.code {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			var rep health.Report
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			wantStatus := map[bool]string{true: "ok", false: "fail"}[tc.code == http.StatusOK]
			if rep.Status != wantStatus || len(rep.Checks) != len(tc.want) {
				t.Fatalf("report = %+v, want status %s and %d checks", rep, wantStatus, len(tc.want))
			}
			for name, sub := range tc.want {
				r := rep.Checks[name]
				if sub == "" && (r.Status != "ok" || r.Error != "") || sub != "" && (r.Status != "fail" || !strings.Contains(r.Error, sub)) {
					t.Errorf("check %s = %+v, want error containing %q", name, r, sub)
				}
			}
		})
	}
}

func TestHandlerPanicsOnNilCheck(t *testing.T) {
	t.Parallel()
	defer func() {
		if v := recover(); v == nil || !strings.HasPrefix(v.(string), "health: ") {
			t.Fatalf("recover() = %v, want a health: panic", v)
		}
	}()
	health.Handler(map[string]health.Check{"x": nil})
}

func TestRedisGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redistest.Start(t).Client(t)
	if err := rdb.XGroupCreateMkStream(ctx, "orders", "workers", "$").Err(); err != nil {
		t.Fatal(err)
	}
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(redistest.FreePort(t)), MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	cases := []struct {
		name          string
		rdb           redis.UniversalClient
		stream, group string
		missing       bool // ErrGroupMissing expected
		fails         bool
	}{
		{"group exists", rdb, "orders", "workers", false, false},
		{"group missing", rdb, "orders", "others", true, true},
		{"stream missing", rdb, "nostream", "workers", true, true},
		{"redis down", down, "orders", "workers", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := health.RedisGroup(tc.rdb, tc.stream, tc.group)(ctx)
			if (err != nil) != tc.fails || errors.Is(err, health.ErrGroupMissing) != tc.missing {
				t.Fatalf("error = %v, want failure %v, ErrGroupMissing %v", err, tc.fails, tc.missing)
			}
		})
	}
}

func TestRecency(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		last  time.Time
		stale bool
	}{
		{"never read", time.Time{}, true},
		{"old read", time.Now().Add(-time.Hour), true},
		{"recent read", time.Now(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := health.Recency(func() time.Time { return tc.last }, time.Minute)(context.Background())
			if errors.Is(err, health.ErrStale) != tc.stale || (err == nil) == tc.stale {
				t.Fatalf("error = %v, want stale %v", err, tc.stale)
			}
		})
	}
}

func TestConstructorsPanicOnWiringMistakes(t *testing.T) {
	t.Parallel()
	cases := map[string]func(){
		"RedisGroup nil client": func() { health.RedisGroup(nil, "s", "g") },
		"Recency nil func":      func() { health.Recency(nil, time.Second) },
		"Recency zero age":      func() { health.Recency(time.Now, 0) },
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if v := recover(); v == nil {
					t.Fatal("no panic")
				}
			}()
			fn()
		})
	}
}
