package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/internal/opstest"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// seeded starts a redis-server with the opstest fixture and returns its URL,
// a client and the fixture.
func seeded(t *testing.T) (string, *redis.Client, opstest.Fixture) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	return "redis://" + srv.Addr, rdb, opstest.Seed(t, rdb)
}

// result is the outcome of one run of the command.
type result struct {
	code        int
	out, errOut string
}

// cli runs the command with REDIS_URL set to url.
func cli(t *testing.T, url string, args ...string) result {
	t.Helper()
	return cliContext(t.Context(), url, new(streamtest.SyncBuffer), args...)
}

// cliContext runs the command with ctx, writing its stdout to out.
func cliContext(ctx context.Context, url string, out *streamtest.SyncBuffer, args ...string) result {
	var errOut bytes.Buffer
	env := func(k string) string {
		if k == "REDIS_URL" {
			return url
		}
		return ""
	}
	code := run(ctx, args, out, &errOut, env)
	return result{code: code, out: out.String(), errOut: errOut.String()}
}

// ok fails t unless r exited 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr: %s\nstdout: %s", r.code, r.errOut, r.out)
	}
	return r
}

// fails checks that r exited 1 with an error message containing want.
func (r result) fails(t *testing.T, want string) {
	t.Helper()
	if r.code != 1 || !strings.Contains(r.errOut, want) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and a message containing %q", r.code, r.errOut, want)
	}
}

// decode decodes the JSON output of r into v.
func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.out)
	}
}

// rows returns the table rows of r's output (header first) as fields split
// on runs of two or more spaces.
func (r result) rows() [][]string {
	var out [][]string
	for _, line := range strings.Split(strings.TrimRight(r.out, "\n"), "\n") {
		var cells []string
		for _, c := range strings.Split(line, "  ") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		out = append(out, cells)
	}
	return out
}

// redisXAdd is a one-field entry to add.
type redisXAdd struct{ stream, typ string }

// args returns its XADD arguments.
func (x redisXAdd) args() *redis.XAddArgs {
	return &redis.XAddArgs{Stream: x.stream, Values: []string{"type", x.typ}}
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
