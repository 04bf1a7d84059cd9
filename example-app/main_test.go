package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/internal/redistest"
)

// wantSummary is the demo's summary: 3 booking requests, 1 quote request and
// 1 newsletter published; 14 successful route runs; 2 asynq retries of
// payments.charge; 1 dead letter (the declined card).
const wantSummary = "demo: published=5 handled=14 retried=2 dead_lettered=1\n"

// env returns a lookup over vars only, so that the test does not depend on
// the environment it runs in.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func runDemo(t *testing.T, o options, log *zap.Logger) (int, string) {
	t.Helper()
	o.demo = true
	if o.demoTimeout == 0 {
		// The demo's own default is 20s; under -race on a loaded machine
		// the outcomes (asynq retries included) may take longer.
		o.demoTimeout = 60 * time.Second
	}
	if o.lookupEnv == nil {
		o.lookupEnv = env(nil)
	}
	var out bytes.Buffer
	code := run(o, log, &out)
	return code, out.String()
}

func TestDemoEmbeddedRedis(t *testing.T) {
	t.Parallel()
	code, out := runDemo(t, options{}, zaptest.NewLogger(t))
	if code != 0 || out != wantSummary {
		t.Fatalf("demo exited %d with %q, want 0 with %q", code, out, wantSummary)
	}
}

func TestDemoRealRedisWithPassword(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Pa55"
	// An ACL user with a password; the default user stays open for redistest.
	srv := redistest.Start(t, "--user", "demo", "on", ">"+password, "~*", "&*", "+@all")
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(core, zaptest.NewLogger(t).Core()))

	code, out := runDemo(t, options{redisURL: "redis://demo:" + password + "@" + srv.Addr + "/0"}, log)
	if code != 0 || out != wantSummary {
		t.Fatalf("demo exited %d with %q, want 0 with %q", code, out, wantSummary)
	}
	usedReal := false
	for _, e := range logs.All() {
		line := e.Message + " " + fmtFields(e.ContextMap())
		if strings.Contains(line, password) {
			t.Errorf("log line contains the Redis password: %s", line)
		}
		usedReal = usedReal || strings.Contains(line, "redis://demo:xxxxx@"+srv.Addr)
	}
	if !usedReal {
		t.Errorf("no log line names the real server with a redacted password")
	}
	// The stream and its dead letter are in the real server.
	// Wrong credentials: the app does not start.
	if code, out := runDemo(t, options{redisURL: "redis://demo:wrong@" + srv.Addr}, zaptest.NewLogger(t)); code == 0 {
		t.Errorf("demo with a wrong password exited 0 with %q", out)
	}
	if n, err := srv.Client(t).XLen(t.Context(), "bookings:dead").Result(); err != nil || n != 1 {
		t.Errorf("XLEN bookings:dead = %d, %v; want 1", n, err)
	}
}

func TestDemoNamesTheMissingOutcome(t *testing.T) {
	t.Parallel()
	// A partial worker without the payments group never charges anything.
	// The demo names the first outcome missing at its deadline: the
	// deadline leaves a loaded machine time for the outcomes before it.
	o := options{demoTimeout: 15 * time.Second, environ: []string{
		"STREAMFX_ROUTE_GROUPS=booking,notifications",
		"STREAMFX_CONSUMER_GROUP=booking-worker",
	}}
	code, out := runDemo(t, o, zaptest.NewLogger(t))
	if code == 0 {
		t.Fatalf("demo exited 0 with %q; want a failure", out)
	}
	if want := "payments.charge paid bk-1"; !strings.Contains(out, want) || !strings.Contains(out, "FAILED") {
		t.Fatalf("demo output %q does not name the missing outcome %q", out, want)
	}
}

func TestBadRedisURLFailsWithoutEchoingThePassword(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	code := run(options{redisURL: "redis://u:hunter2@host:notaport/0", lookupEnv: env(nil)}, zap.New(core), &bytes.Buffer{})
	if code == 0 {
		t.Fatal("run succeeded with a malformed URL")
	}
	for _, e := range logs.All() {
		if line := e.Message + " " + fmtFields(e.ContextMap()); strings.Contains(line, "hunter2") {
			t.Errorf("log line contains the password: %s", line)
		}
	}
}
