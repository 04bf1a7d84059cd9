package main

import (
	"context"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/inspect"
	"github.com/streamfx/streamfx/internal/opstest"
	"github.com/streamfx/streamfx/internal/redistest"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	url, rdb, f := seeded(t)
	rdb.XAdd(context.Background(), redisXAdd{"users", "user.registered"}.args())

	table := cli(t, url, "status").ok(t).rows()
	want := [][]string{
		{"STREAM", "LENGTH", "DEAD", "CONSUMER GROUP", "LAG", "PENDING", "OLDEST PENDING", "CONSUMERS"},
		{"orders", "6", "4", "billing", "1", "1", "", "worker-1 pending=0 idle="},
		{"orders", "6", "4", "reports", "6", "0", "-", "-"},
		{"users", "1", "0", "-", "-", "-", "-", "-"},
	}
	if len(table) != len(want) {
		t.Fatalf("status printed %d rows, want %d:\n%q", len(table), len(want), table)
	}
	for i, row := range want {
		for j, cell := range row {
			if i == 1 && (j == 6 || j == 7) {
				continue // ages, checked below
			}
			if table[i][j] != cell {
				t.Errorf("row %d column %s = %q, want %q\n%q", i, want[0][j], table[i][j], cell, table)
			}
		}
	}
	if got := table[1][6]; !containsAll(got, "(", f.IDs[4], ")") {
		t.Errorf("oldest pending of billing = %q, want the age and ID of %s", got, f.IDs[4])
	}
	if got := table[1][7]; !containsAll(got, "worker-1 pending=0", "worker-2 pending=1") {
		t.Errorf("consumers of billing = %q, want worker-1 with 0 and worker-2 with 1 pending", got)
	}

	var st []inspect.StreamStatus
	r := cli(t, url, "status", "-json", opstest.Stream).ok(t)
	r.decode(t, &st)
	var raw []map[string]any
	if r.decode(t, &raw); len(raw) != 1 || raw[0]["consumer_groups"] == nil || raw[0]["groups"] != nil {
		t.Errorf("status -json = %s, want the consumer groups under consumer_groups", r.out)
	}
	if len(st) != 1 || st[0].Stream != "orders" || st[0].Length != 6 || st[0].DeadLength != 4 || len(st[0].Groups) != 2 {
		t.Fatalf("status -json orders = %+v", st)
	}
	billing := st[0].Groups[0]
	if billing.Name != "billing" || billing.Lag != 1 || billing.Pending != 1 || billing.OldestPendingID != f.IDs[4] || billing.LastDeliveredID != f.IDs[4] {
		t.Errorf("billing = %+v, want lag 1, pending 1, oldest and last delivered %s", billing, f.IDs[4])
	}
	if n := slices.IndexFunc(billing.Consumers, func(c inspect.ConsumerStatus) bool { return c.Name == "worker-2" && c.Pending == 1 }); n < 0 {
		t.Errorf("billing consumers = %+v, want worker-2 with 1 pending", billing.Consumers)
	}

	cli(t, url, "status", "nope").fails(t, `no such stream: "nope"`)
}

// TestClusterStatusAndReplay runs status against a 3-master Redis Cluster,
// given the URL of one node: it finds the Cluster and the streams on every
// master. Then it replays a dead letter of a stream without hash tag, whose
// dead-letter stream is in another slot, twice: one entry is published.
func TestClusterStatusAndReplay(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rdb := c.Client(t)
	ctx := context.Background()
	streams := []string{"{orders}", "{payments}", "{users}"} // on three masters
	for i, s := range streams {
		for range i + 1 {
			rdb.XAdd(ctx, redisXAdd{s, "e"}.args())
		}
		if err := rdb.XGroupCreate(ctx, s, "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	var st []inspect.StreamStatus
	cli(t, "redis://"+c.Nodes[1].Addr, "status", "-json").ok(t).decode(t, &st)
	if len(st) != 3 {
		t.Fatalf("status found %d streams, want 3: %+v", len(st), st)
	}
	for i, s := range st {
		if s.Stream != streams[i] || s.Length != int64(i+1) || len(s.Groups) != 1 || s.Groups[0].Lag != int64(i+1) {
			t.Errorf("stream %d = %+v, want %s with %d entries, all lagging in group g", i, s, streams[i], i+1)
		}
	}
	rows := cli(t, "redis://"+c.Nodes[0].Addr, "status", "{users}").ok(t).rows()
	if len(rows) != 2 || rows[1][0] != "{users}" || rows[1][3] != "g" || rows[1][4] != "3" {
		t.Errorf("status {users} = %q", rows)
	}

	// "audit-log" and "audit-log:dead" hash to slots 15749 and 656.
	if a, b := rdb.ClusterKeySlot(ctx, "audit-log").Val(), rdb.ClusterKeySlot(ctx, "audit-log:dead").Val(); a == b {
		t.Fatalf("audit-log and its dead-letter stream share slot %d; the test needs two", a)
	}
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "audit-log:dead", Values: []string{
		"type", "audit", "who", "ada", dispatcher.DeadStreamField, "audit-log", dispatcher.DeadIDField, "1-0",
		dispatcher.DeadRouteField, "audit.write", dispatcher.DeadReasonField, "disk full",
	}})
	url := "redis://" + c.Nodes[2].Addr
	for range 2 {
		cli(t, url, "dead", "replay", "audit-log", "-all").ok(t)
	}
	got := rdb.XRange(ctx, "audit-log", "-", "+").Val()
	if len(got) != 1 || got[0].Values["who"] != "ada" || rdb.XLen(ctx, "audit-log:dead").Val() != 0 {
		t.Errorf("after two replays audit-log = %v, want the one entry; dead letters left: %d", got, rdb.XLen(ctx, "audit-log:dead").Val())
	}
}
