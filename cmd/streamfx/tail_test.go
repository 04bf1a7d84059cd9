package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher/inspect"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

func TestTail(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	out := new(streamtest.SyncBuffer)
	done := make(chan result, 1)
	go func() { done <- cliContext(t.Context(), url, out, "tail", "orders", "-from", f.IDs[3], "-n", "3") }()
	streamtest.Eventually(t, 20*time.Second, "tail printed o-5 and o-6", func() bool { return strings.Count(out.String(), "\n") == 2 })
	id, err := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{}).Publish(context.Background(), "orders", "order.shipped",
		map[string]any{"order_id": "o-5", "parcels": []any{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("tail -n 3 did not exit after the third entry")
	}
	r.ok(t)
	want := []string{
		f.IDs[4] + ` order.paid {"amount_eur":7,"card":"tok_ok","order_id":"o-5","type":"order.paid"}`,
		f.IDs[5] + ` order.paid {"amount_eur":8,"card":"tok_ok","order_id":"o-6","type":"order.paid"}`,
		id + ` order.shipped {"order_id":"o-5","parcels":[1,2],"type":"order.shipped"}`,
	}
	if got := strings.Split(strings.TrimSpace(r.out), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tail printed\n%s\nwant\n%s", r.out, strings.Join(want, "\n"))
	}

	line := cli(t, url, "tail", "orders", "-from", f.IDs[4], "-n", "1", "-json").ok(t).out
	var e inspect.Entry
	if err := json.Unmarshal([]byte(line), &e); err != nil || e.ID != f.IDs[5] || e.Type != "order.paid" || e.Payload["order_id"] != "o-6" {
		t.Errorf("tail -json printed %q (%v)", line, err)
	}
	cli(t, url, "tail", "nope").fails(t, `no such stream: "nope"`)
}

// TestTailStopsOnInterrupt checks that a tail following a stream returns,
// with status 0, when its context ends (Ctrl-C in main).
func TestTailStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	url, _, _ := seeded(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan result, 1)
	out := new(streamtest.SyncBuffer)
	go func() { done <- cliContext(ctx, url, out, "tail", "orders", "-from", "0") }()
	streamtest.Eventually(t, 20*time.Second, "tail printed the 6 entries", func() bool { return strings.Count(out.String(), "\n") == 6 })
	cancel()
	select {
	case r := <-done:
		r.ok(t)
	case <-time.After(20 * time.Second):
		t.Fatal("tail did not stop when its context ended")
	}
}
