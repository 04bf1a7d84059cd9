package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/dashboard"
	"github.com/streamfx/streamfx/internal/opstest"
	"github.com/streamfx/streamfx/internal/redistest"
)

// browserTimeout bounds everything one browser test does, waitTimeout one
// wait for the page.
const (
	browserTimeout = 90 * time.Second
	waitTimeout    = 20 * time.Second
)

// chromium returns the path of a Chromium or Chrome binary. Without one the
// test fails when CI=true (CI installs chromium: scripts/test.sh), and is
// skipped elsewhere with how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const hint = "no Chromium on PATH for the dashboard's browser test: install it with " +
		"`sudo apt-get install -y chromium` (Debian/Ubuntu), or run ./scripts/test.sh, which installs it"
	if os.Getenv("CI") == "true" {
		t.Fatal(hint)
	}
	t.Skip(hint)
	return ""
}

// browser starts a headless Chromium for t and returns a chromedp context
// bounded by browserTimeout.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], // headless, no first run, no sync...
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// mounted serves d under /ops/ as an application would.
func mounted(t *testing.T, d http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/ops/", http.StripPrefix("/ops", d))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/ops/"
}

// TestBrowserOverviewAndReplay drives the dashboard in headless Chromium:
// the overview shows each group's lag and follows it as it grows, and the
// replay button of a dead letter puts its entry back into the stream once,
// even when the same form is posted again.
func TestBrowserOverviewAndReplay(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	f := opstest.Seed(t, rdb)
	d, err := dashboard.New(rdb, dashboard.Config{Refresh: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	url := mounted(t, d)
	ctx := browser(t)

	lag := func(group string) string { return `td.lag[data-stream="orders"][data-group="` + group + `"]` }
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, lag("billing"), "1", equal)
	waitText(t, ctx, lag("reports"), "6", equal)
	rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: "orders", Values: []string{"type", "order.paid", "order_id", "o-7"}})
	waitText(t, ctx, lag("billing"), "2", equal) // the overview refreshed itself

	// Follow the overview's dead-letter link, then press the refund's
	// Replay button. Both run in the page in one step: the table is swapped
	// at each refresh, and a node found by a query can be gone when a click
	// lands on it.
	refund := f.Dead[3]
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a.dead-count").href`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`tr.letter[data-id="`+refund+`"] button.replay`)),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('tr.letter[data-id="`+refund+`"] button.replay').click() || true`)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `p.done`, "replayed "+refund+" as orders/", strings.HasPrefix)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("tr.letter").length`)); err != nil || n != 3 {
		t.Errorf("the page lists %d dead letters (%v), want 3", n, err)
	}
	checkReplayedOnce(t, rdb, 8)

	// The same form posted again (a double click, a resubmitted page).
	post := `fetch("dead", {method: "POST", body: new URLSearchParams({stream: "orders", id: "` + refund + `", action: "replay"})}).then(r => r.status)`
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](post, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Errorf("second POST answered %d after its redirect, want 200", status)
	}
	checkReplayedOnce(t, rdb, 8)
}

// waitText waits until the text of the first element that css matches
// satisfies match(text, want): equal, or strings.HasPrefix. The page may
// change under the test (the overview swaps its table at each refresh, a
// form submission loads a new page), so the text is read in the page, in
// one step, until it matches or waitTimeout passes.
func waitText(t *testing.T, ctx context.Context, css, want string, match func(s, want string) bool) {
	t.Helper()
	js := `(() => { const e = document.querySelector(` + strconv.Quote(css) + `); return e ? e.textContent.trim() : null })()`
	deadline := time.Now().Add(waitTimeout)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[*string](js))
		if err == nil && got != nil && match(*got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want text %q, page shows %s (%v)", css, want, deref(got), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// equal reports whether s is want.
func equal(s, want string) bool { return s == want }

// deref returns *s, or "nothing" for nil.
func deref(s *string) string {
	if s == nil {
		return "nothing"
	}
	return strconv.Quote(*s)
}

// checkReplayedOnce checks that orders holds length entries, the last one
// the replayed refund, the only replayed one, and that 3 dead letters are
// left.
func checkReplayedOnce(t *testing.T, rdb *redis.Client, length int) {
	t.Helper()
	ctx := context.Background()
	entries := rdb.XRange(ctx, "orders", "-", "+").Val()
	refunds := 0
	for _, e := range entries {
		if e.Values["type"] == "order.refunded" {
			refunds++
		}
	}
	last := entries[len(entries)-1].Values
	if len(entries) != length || refunds != 2 || last["type"] != "order.refunded" || last["order_id"] != "o-1" {
		t.Errorf("orders holds %d entries (%d refunds), last %v; want %d, the original refund and one replayed", len(entries), refunds, last, length)
	}
	if n := rdb.XLen(ctx, "orders:dead").Val(); n != 3 {
		t.Errorf("orders:dead holds %d dead letters, want 3", n)
	}
}
