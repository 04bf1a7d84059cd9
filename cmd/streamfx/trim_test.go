package main

import (
	"context"
	"slices"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

func TestTrim(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	ctx := context.Background()
	ids := func() []string {
		var out []string
		for _, m := range rdb.XRange(ctx, "orders", "-", "+").Val() {
			out = append(out, m.ID)
		}
		return out
	}

	// reports has read nothing: nothing is acknowledged by every group.
	got := cli(t, url, "trim", "orders", "-dry-run").ok(t).out
	if want := "orders: would remove 0 entries below 0-1 (acknowledged by all 2 consumer groups)\n"; got != want {
		t.Errorf("trim -dry-run printed %q, want %q", got, want)
	}
	// reports has read everything; billing still holds o-5 pending.
	if err := rdb.XGroupSetID(ctx, "orders", "reports", f.IDs[5]).Err(); err != nil {
		t.Fatal(err)
	}
	got = cli(t, url, "trim", "orders", "-dry-run").ok(t).out
	if want := "orders: would remove 4 entries below " + f.IDs[4] + " (acknowledged by all 2 consumer groups)\n"; got != want {
		t.Errorf("trim -dry-run printed %q, want %q", got, want)
	}
	if n := len(ids()); n != 6 {
		t.Fatalf("dry run removed entries: %d left", n)
	}
	var res inspect.TrimResult
	r := cli(t, url, "trim", "orders", "-json").ok(t)
	r.decode(t, &res)
	if res.Removed != 4 || res.MinID != f.IDs[4] || res.Groups != 2 {
		t.Errorf("trim -json = %+v, want 4 removed below %s", res, f.IDs[4])
	}
	var raw map[string]any
	if r.decode(t, &raw); raw["consumer_groups"] != 2.0 || raw["groups"] != nil {
		t.Errorf("trim -json = %s, want the number of consumer groups under consumer_groups", r.out)
	}
	if got := ids(); !slices.Equal(got, f.IDs[4:]) {
		t.Errorf("orders holds %q after trim, want o-5 (pending) and o-6", got)
	}
	if got := cli(t, url, "trim", "orders").ok(t).out; got != "orders: removed 0 entries below "+f.IDs[4]+" (acknowledged by all 2 consumer groups)\n" {
		t.Errorf("second trim printed %q", got)
	}
	// billing acknowledges o-5: its bound moves past o-5, not past o-6,
	// which billing has not read.
	rdb.XAck(ctx, "orders", "billing", f.IDs[4])
	cli(t, url, "trim", "orders").ok(t)
	if got := ids(); !slices.Equal(got, f.IDs[5:]) {
		t.Errorf("orders holds %q after billing acked o-5, want o-6 only", got)
	}

	rdb.XAdd(ctx, redisXAdd{"users", "user.registered"}.args())
	cli(t, url, "trim", "users").fails(t, `no such consumer group: stream "users" has none`)
	cli(t, url, "trim", "nope").fails(t, `no such stream: "nope"`)
	if n := rdb.XLen(ctx, "users").Val(); n != 1 {
		t.Errorf("trim of a stream without groups removed entries: %d left", n)
	}
}
