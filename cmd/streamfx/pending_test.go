package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

func TestPending(t *testing.T) {
	t.Parallel()
	url, _, f := seeded(t)
	r := cli(t, url, "pending", "orders", "-consumer-group", "billing").ok(t)
	if r.errOut != "" {
		t.Errorf("pending -consumer-group printed %q on stderr", r.errOut)
	}
	rows := r.rows()
	if len(rows) != 2 {
		t.Fatalf("pending printed %q, want a header and one entry", rows)
	}
	if got := rows[1]; got[0] != f.IDs[4] || got[1] != "worker-2" || got[3] != "1" || got[4] != "order.paid" {
		t.Errorf("pending row = %q, want %s held by worker-2, delivered once, type order.paid", got, f.IDs[4])
	}
	var entries []inspect.PendingEntry
	cli(t, url, "pending", "-json", "orders", "-consumer-group", "billing", "-consumer", "worker-2").ok(t).decode(t, &entries)
	if len(entries) != 1 || entries[0].ID != f.IDs[4] || entries[0].Deliveries != 1 || entries[0].Type != "order.paid" {
		t.Errorf("pending -json = %+v", entries)
	}
	if rows := cli(t, url, "pending", "orders", "-consumer-group", "billing", "-consumer", "worker-1").ok(t).rows(); len(rows) != 1 {
		t.Errorf("worker-1 holds nothing, pending printed %q", rows)
	}

	cli(t, url, "pending", "orders", "-consumer-group", "nope").fails(t, `no such consumer group: stream "orders" has no group "nope"`)
	cli(t, url, "pending", "nope", "-consumer-group", "billing").fails(t, `no such stream: "nope"`)
	cli(t, url, "pending", "orders").fails(t, "-consumer-group is required")
}

// TestPendingDeprecatedGroupFlag: -group, the former name of
// -consumer-group, still works as before, with one line on stderr saying
// it is deprecated and naming the new flag; stdout is unchanged, so
// scripts that parse it keep working.
func TestPendingDeprecatedGroupFlag(t *testing.T) {
	t.Parallel()
	url, _, f := seeded(t)
	const notice = "streamfx: -group is deprecated and will be removed, use -consumer-group\n"
	cases := [][]string{
		{"pending", "orders", "-group", "billing"},
		{"pending", "-group", "billing", "orders"},
		{"pending", "orders", "-group=billing", "-group", "billing"}, // one notice, however often given
	}
	want := withoutIdle(cli(t, url, "pending", "orders", "-consumer-group", "billing").ok(t).rows())
	for _, args := range cases {
		r := cli(t, url, args...).ok(t)
		if got := withoutIdle(r.rows()); !slices.Equal(got, want) {
			t.Errorf("%q printed %q, want as with -consumer-group %q (IDLE aside)", args, got, want)
		}
		if r.errOut != notice {
			t.Errorf("%q printed %q on stderr, want %q", args, r.errOut, notice)
		}
	}
	var entries []inspect.PendingEntry
	r := cli(t, url, "pending", "-json", "orders", "-group", "billing")
	r.ok(t).decode(t, &entries)
	if len(entries) != 1 || entries[0].ID != f.IDs[4] || r.errOut != notice {
		t.Errorf("pending -json -group = %+v, stderr %q", entries, r.errOut)
	}
	r = cli(t, url, "pending", "orders", "-group", "nope")
	r.fails(t, `no such consumer group: stream "orders" has no group "nope"`)
	if !strings.HasPrefix(r.errOut, notice) {
		t.Errorf("a failing run with -group printed %q, want the notice first", r.errOut)
	}
}

// withoutIdle returns the rows of pending's table without the IDLE column,
// one string each.
func withoutIdle(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(slices.Delete(slices.Clone(r), 2, 3), " | ")
	}
	return out
}

// TestPendingHelp: -h of pending names -consumer-group and lists -group as
// its deprecated name.
func TestPendingHelp(t *testing.T) {
	t.Parallel()
	r := cli(t, "", "pending", "-h")
	if r.code != 0 || !containsAll(r.errOut, "pending STREAM -consumer-group GROUP", "-consumer-group string\n    \tconsumer group (required)",
		"-group value\n    \tdeprecated name of -consumer-group") {
		t.Errorf("pending -h = exit %d, stderr:\n%s", r.code, r.errOut)
	}
	if r := cli(t, "", "help"); !strings.Contains(r.out, "pending STREAM -consumer-group G") {
		t.Errorf("help does not show -consumer-group:\n%s", r.out)
	}
}
