package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestServe runs the dashboard from the command on a free port, reads the
// overview, and stops it like Ctrl-C does.
func TestServe(t *testing.T) {
	t.Parallel()
	url, _, _ := seeded(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := new(streamtest.SyncBuffer)
	done := make(chan result, 1)
	go func() { done <- cliContext(ctx, url, out, "serve", "-addr", "127.0.0.1:0", "-read-only", "orders") }()
	addr := regexp.MustCompile(`http://[0-9.:]+/`)
	streamtest.Eventually(t, 20*time.Second, "serve printed its address", func() bool { return addr.MatchString(out.String()) })
	if !strings.Contains(out.String(), "(read-only)") {
		t.Errorf("serve -read-only printed %q", out.String())
	}
	resp, err := http.Get(addr.FindString(out.String()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if page := string(body); resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-group="reports">6</td>`) {
		t.Errorf("GET / answered %d without reports' lag of 6:\n%s", resp.StatusCode, page)
	}
	if page := string(body); !strings.Contains(page, "<th>Consumer group</th>") || strings.Contains(page, "<th>Group</th>") {
		t.Errorf("the overview does not head its consumer groups' column \"Consumer group\":\n%s", page)
	}
	cancel()
	select {
	case r := <-done:
		r.ok(t)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
	cli(t, url, "serve", "-addr", "256.0.0.1:1").fails(t, "listen tcp")
}
