package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/dashboard"
	"github.com/streamfx/streamfx/internal/opstest"
	"github.com/streamfx/streamfx/internal/redistest"
)

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// replay posts the replay form of dead letter id as a browser on origin
// site ("same-origin" or "cross-site") would, without following the
// redirect, and returns the response.
func replay(t *testing.T, base, id, site string) *http.Response {
	t.Helper()
	form := url.Values{"stream": {"orders"}, "id": {id}, "action": {"replay"}}
	req, _ := http.NewRequest(http.MethodPost, base+"dead", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", site)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestWrites checks the guards of the replay POST: a cross-site form is
// refused, a read-only dashboard refuses and shows no buttons, and a
// same-origin replay redirects back under the mount prefix.
func TestWrites(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	f := opstest.Seed(t, rdb)
	length := func() int64 { return rdb.XLen(context.Background(), "orders").Val() }

	ro, err := dashboard.New(rdb, dashboard.Config{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	base := mounted(t, ro)
	if resp := replay(t, base, f.Dead[0], "same-origin"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read-only replay answered %d, want 403", resp.StatusCode)
	}
	status, page := get(t, base+"dead?stream=orders")
	if status != http.StatusOK || strings.Contains(page, `class="replay"`) || !strings.Contains(page, "read-only") || !strings.Contains(page, "card declined") {
		t.Errorf("read-only dead page (%d) shows replay buttons or no dead letters:\n%s", status, page)
	}

	rw, err := dashboard.New(rdb, dashboard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base = mounted(t, rw)
	if resp := replay(t, base, f.Dead[0], "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site replay answered %d, want 403", resp.StatusCode)
	}
	if n := length(); n != 6 {
		t.Fatalf("refused replays changed orders: %d entries, want 6", n)
	}
	resp := replay(t, base, f.Dead[0], "same-origin")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "dead?") || !strings.Contains(loc, "done=replayed") {
		t.Errorf("replay answered %d to %q, want 303 to a relative dead?... saying replayed", resp.StatusCode, loc)
	}
	if n := length(); n != 7 {
		t.Errorf("orders holds %d entries after one replay, want 7", n)
	}
	if status, page := get(t, base); status != http.StatusOK || !strings.Contains(page, `data-group="billing">1</td>`) {
		t.Errorf("overview (%d) does not show billing's lag of 1:\n%s", status, page)
	}
}
