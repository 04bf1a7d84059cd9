package main

import (
	"testing"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

func TestPending(t *testing.T) {
	t.Parallel()
	url, _, f := seeded(t)
	rows := cli(t, url, "pending", "orders", "-group", "billing").ok(t).rows()
	if len(rows) != 2 {
		t.Fatalf("pending printed %q, want a header and one entry", rows)
	}
	if got := rows[1]; got[0] != f.IDs[4] || got[1] != "worker-2" || got[3] != "1" || got[4] != "order.paid" {
		t.Errorf("pending row = %q, want %s held by worker-2, delivered once, type order.paid", got, f.IDs[4])
	}
	var entries []inspect.PendingEntry
	cli(t, url, "pending", "-json", "orders", "-group", "billing", "-consumer", "worker-2").ok(t).decode(t, &entries)
	if len(entries) != 1 || entries[0].ID != f.IDs[4] || entries[0].Deliveries != 1 || entries[0].Type != "order.paid" {
		t.Errorf("pending -json = %+v", entries)
	}
	if rows := cli(t, url, "pending", "orders", "-group", "billing", "-consumer", "worker-1").ok(t).rows(); len(rows) != 1 {
		t.Errorf("worker-1 holds nothing, pending printed %q", rows)
	}

	cli(t, url, "pending", "orders", "-group", "nope").fails(t, `no such consumer group: stream "orders" has no group "nope"`)
	cli(t, url, "pending", "nope", "-group", "billing").fails(t, `no such stream: "nope"`)
	cli(t, url, "pending", "orders").fails(t, "-group is required")
}
