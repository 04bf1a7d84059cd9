package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

func TestDeadList(t *testing.T) {
	t.Parallel()
	url, _, f := seeded(t)
	rows := cli(t, url, "dead", "list", "orders").ok(t).rows()
	if len(rows) != 5 || !slices.Equal(rows[0], []string{"ID", "AGE", "SOURCE", "TYPE", "ROUTE", "ATTEMPTS", "REASON"}) {
		t.Fatalf("dead list printed %q, want a header and 4 dead letters", rows)
	}
	if got := rows[1]; got[0] != f.Dead[0] || got[2] != "orders/"+f.IDs[1] || got[3] != "order.paid" ||
		got[4] != "billing.charge" || got[5] != "1" || got[6] != "permanent: card declined" {
		t.Errorf("first dead letter = %q", got)
	}

	filters := []struct {
		args []string
		want []string // source IDs
	}{
		{[]string{"-type", "order.refunded"}, []string{f.IDs[3]}},
		{[]string{"-route", "audit.record"}, []string{f.IDs[2]}},
		{[]string{"-reason", "CARD DECLINED"}, []string{f.IDs[1], f.IDs[2]}},
		{[]string{"-min-id", f.IDs[2], "-max-id", f.IDs[2]}, []string{f.IDs[2], f.IDs[2]}},
		{[]string{"-newer-than", "1h", "-type", "order.paid", "-route", "billing.charge"}, []string{f.IDs[1], f.IDs[2]}},
		{[]string{"-older-than", "1h"}, nil},
		{[]string{f.Dead[3]}, []string{f.IDs[3]}},
	}
	for _, c := range filters {
		var list []inspect.DeadLetter
		args := append([]string{"dead", "list", "orders", "-json"}, c.args...)
		cli(t, url, args...).ok(t).decode(t, &list)
		var got []string
		for _, d := range list {
			got = append(got, d.SourceID)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("dead list %q selected sources %q, want %q", c.args, got, c.want)
		}
	}

	cli(t, url, "dead", "list", "orders", "-min-id", "abc").fails(t, `invalid filter: "abc" is not a stream ID`)
	cli(t, url, "dead", "list", "orders", "-min-id", "9", "-max-id", "3").fails(t, "invalid filter: source ID range 9..3 is empty")
	cli(t, url, "dead", "list", "orders", "-older-than", "soon").fails(t, `invalid value "soon" for flag -older-than`)
	cli(t, url, "dead", "list", "nope").fails(t, `no such stream: "nope" (nor its dead-letter stream "nope:dead")`)
}

func TestDeadShow(t *testing.T) {
	t.Parallel()
	url, _, f := seeded(t)
	out := cli(t, url, "dead", "show", "orders", f.Dead[0]).ok(t).out
	for _, want := range []string{
		"id:        " + f.Dead[0] + " (orders:dead)", "source:    orders/" + f.IDs[1], "type:      order.paid",
		"route:     billing.charge", "reason:    permanent: card declined", `"amount_eur": 25`, `"card": "tok_declined"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dead show does not print %q:\n%s", want, out)
		}
	}
	var d inspect.DeadLetter
	cli(t, url, "dead", "show", "orders", f.Dead[3], "-json").ok(t).decode(t, &d)
	if d.Type != "order.refunded" || d.Payload["amount_eur"] != 10.5 || d.Payload["order_id"] != "o-1" || d.Fields["dead_reason"] != "" {
		t.Errorf("dead show -json = %+v, want the decoded refund without dead-letter fields", d)
	}
	cli(t, url, "dead", "show", "orders", "1-0").fails(t, "no such dead letter: 1-0 in orders:dead")
	cli(t, url, "dead", "show", "orders").fails(t, "usage: streamfx dead show STREAM ID")
}

func TestDeadReplayExactlyOnce(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	ctx := context.Background()
	cli(t, url, "dead", "replay", "orders").fails(t, "give dead letter IDs, a filter, or -all")

	dry := cli(t, url, "dead", "replay", "orders", "-type", "order.paid", "-dry-run").ok(t).out
	if !strings.Contains(dry, "would replay "+f.Dead[0]+" (orders/"+f.IDs[1]+", order.paid) to orders") ||
		!strings.Contains(dry, "would remove "+f.Dead[2]+": orders/"+f.IDs[2]+" is replayed once, for an earlier dead letter") ||
		!strings.Contains(dry, "dry run: 3 dead letters selected, nothing changed") {
		t.Errorf("dry run printed:\n%s", dry)
	}
	if n := rdb.XLen(ctx, "orders").Val(); n != 6 {
		t.Fatalf("dry run changed orders: %d entries, want 6", n)
	}

	// o-2 has one dead letter, o-3 two (charge and audit): two entries.
	out := cli(t, url, "dead", "replay", "orders", "-type", "order.paid").ok(t).out
	if !strings.Contains(out, "published 2 entries, removed 3 dead letters") {
		t.Errorf("replay printed:\n%s", out)
	}
	again := cli(t, url, "dead", "replay", "orders", "-type", "order.paid").ok(t).out
	if !strings.Contains(again, "published 0 entries, removed 0 dead letters") {
		t.Errorf("second replay printed:\n%s", again)
	}
	entries := rdb.XRange(ctx, "orders", "-", "+").Val()
	if len(entries) != 8 {
		t.Fatalf("orders has %d entries after two replays, want 6 + 2", len(entries))
	}
	for i, want := range []string{"o-2", "o-3"} {
		got := entries[6+i].Values
		if got["order_id"] != want || got["type"] != "order.paid" || got["card"] != "tok_declined" || len(got) != 4 {
			t.Errorf("replayed entry %d = %v, want %s with its 4 original fields only", i, got, want)
		}
	}
	if left := rdb.XLen(ctx, "orders:dead").Val(); left != 1 {
		t.Errorf("orders:dead holds %d dead letters, want the refund's only", left)
	}
}

func TestDeadReplayTo(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	var res []inspect.Replayed
	cli(t, url, "dead", "replay", "orders", f.Dead[3], "-to", "orders-retry", "-json").ok(t).decode(t, &res)
	if len(res) != 1 || !res[0].Published || !res[0].Removed || res[0].Target != "orders-retry" {
		t.Fatalf("replay -to = %+v", res)
	}
	got := rdb.XRange(context.Background(), "orders-retry", "-", "+").Val()
	if len(got) != 1 || got[0].ID != res[0].EntryID || got[0].Values["type"] != "order.refunded" || got[0].Values["amount_eur"] != "json:10.5" {
		t.Errorf("orders-retry = %v, want the refund as published", got)
	}
	if n := rdb.XLen(context.Background(), "orders").Val(); n != 6 {
		t.Errorf("orders has %d entries, want 6 (replayed elsewhere)", n)
	}
}

func TestDeadPurge(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	cli(t, url, "dead", "purge", "orders").fails(t, "give dead letter IDs, a filter, or -all")
	dry := cli(t, url, "dead", "purge", "orders", "-route", "billing.refund", "-dry-run").ok(t).out
	if !strings.Contains(dry, "would remove "+f.Dead[3]) || rdb.XLen(context.Background(), "orders:dead").Val() != 4 {
		t.Errorf("dry run printed %q and must remove nothing", dry)
	}
	out := cli(t, url, "dead", "purge", "orders", "-route", "billing.refund").ok(t).out
	if !strings.Contains(out, "removed 1 dead letters from orders:dead") {
		t.Errorf("purge printed %q", out)
	}
	cli(t, url, "dead", "purge", "orders", "-all").ok(t)
	if n := rdb.XLen(context.Background(), "orders:dead").Val(); n != 0 {
		t.Errorf("orders:dead holds %d after purge -all", n)
	}
	if n := rdb.XLen(context.Background(), "orders").Val(); n != 6 {
		t.Errorf("purge changed orders: %d entries", n)
	}
}
