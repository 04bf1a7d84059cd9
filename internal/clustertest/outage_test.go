package clustertest

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// The processor's log messages when Redis fails and when it answers again.
const (
	outageLog   = "redis unavailable or failing; retrying with backoff"
	recoveryLog = "redis answers again"
)

// outageFor is how long the stopped master stays down: longer than the
// cluster's node timeout (2s in redistest), so that the other masters mark
// it as failed and the cluster goes down.
const outageFor = 4 * time.Second

// TestClusterMasterStopAndRestart stops, with SIGTERM, the master that
// serves one of two consumed streams, right after a burst of publishes,
// keeps it down past the node timeout, and starts it again with its
// nodes.conf and its snapshot. The processor logs the outage once, backs
// off, logs the recovery, and resumes by itself: every entry published
// before the stop and after the restart is handled, nothing stays pending,
// and the processor never stops. Duplicates are allowed (delivery is at
// least once) and logged.
func TestClusterMasterStopAndRestart(t *testing.T) {
	c, rdb := startCluster(t)
	streams := []string{ordersStream, usersStream}
	requireSpread(t, rdb, streams...)
	enableSnapshots(t, rdb)
	victim := nodeIndex(t, c, nodeOf(t, rdb, ordersStream))
	log, logs := observed(t)
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", func(ctx context.Context, msg *dispatcher.Message) error {
		time.Sleep(time.Millisecond) // some work, so that entries are in flight at the stop
		return rec.Handle(ctx, msg)
	}, dispatcher.Named("tick"))
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(log, streams...))
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})

	var want []streamtest.Entry
	for _, s := range streams {
		want = append(want, publishN(t, pub, s, "tick", 50)...)
	}
	eventually(t, "the first entries are handled", func() bool { return rec.HandledAll(want) })
	for _, s := range streams { // in flight when the master stops
		want = append(want, publishN(t, pub, s, "tick", 200)...)
	}
	stopped := time.Now()
	c.Stop(victim, syscall.SIGTERM)
	t.Logf("stopped master %s (serves %s) with SIGTERM; %d of %d entries handled by then",
		c.Nodes[victim].Addr, ordersStream, rec.Len(), len(want))
	eventually(t, "the processor logs the outage", func() bool {
		return logged(logs, outageLog)
	})
	probeLiveMaster(t, pub, time.Until(stopped.Add(outageFor)))
	c.Nodes[victim].Restart(t)
	restarted := time.Now()
	waitClusterOK(t, c)
	t.Logf("master restarted; cluster_state:ok on every node %v later", time.Since(restarted).Round(time.Millisecond))

	for _, s := range streams {
		want = append(want, publishEventually(t, pub, s, 50)...)
	}
	eventually(t, "every entry is handled after the restart", func() bool { return rec.HandledAll(want) })
	for _, s := range streams {
		eventually(t, "the PEL of "+s+" is empty", func() bool { return pending(t, rdb, s, "g") == 0 })
	}
	t.Logf("processor caught up %v after the restart; %d entries, %d duplicate runs",
		time.Since(restarted).Round(time.Millisecond), len(want), rec.Duplicates())
	if n := rdb.XLen(context.Background(), ordersStream).Val(); n != 300 {
		t.Errorf("%s holds %d entries after the restart, want 300", ordersStream, n)
	}
	// The recovery is logged once every loop succeeded again, which can trail
	// the first handled entries by a reclaim tick.
	eventually(t, "the recovery is logged", func() bool { return logs.FilterMessage(recoveryLog).Len() > 0 })
	down, up := logs.FilterMessage(outageLog).Len(), logs.FilterMessage(recoveryLog).Len()
	t.Logf("the processor logged %q %d times and %q %d times", outageLog, down, recoveryLog, up)
	if down > 3 {
		t.Errorf("the outage was logged %d times: the processor's health flips between the live and the dead masters", down)
	}
	if err := p.Err(); err != nil {
		t.Errorf("the processor stopped on %v", err)
	}
}

// enableSnapshots sets a save point on every master, so that a SIGTERM
// writes a snapshot that the restarted master loads (the test servers start
// with persistence off).
func enableSnapshots(t *testing.T, rdb *redis.ClusterClient) {
	t.Helper()
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, node *redis.Client) error {
		return node.ConfigSet(ctx, "save", "3600 1").Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// nodeIndex returns the index of the node at addr.
func nodeIndex(t *testing.T, c *redistest.Cluster, addr string) int {
	t.Helper()
	for i, a := range c.Addrs() {
		if a == addr {
			return i
		}
	}
	t.Fatalf("no node at %s", addr)
	return -1
}

// probeLiveMaster publishes to usersStream, whose master is up, for d, and
// logs when publishing stops working: once the other masters mark the
// stopped one as failed, the whole cluster refuses commands (CLUSTERDOWN),
// since a slot range has no master (cluster-require-full-coverage yes).
func probeLiveMaster(t *testing.T, pub *redisstream.Publisher, d time.Duration) {
	t.Helper()
	start, deadline := time.Now(), time.Now().Add(d)
	var ok int
	var firstErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := pub.Publish(ctx, "probe:"+usersStream, "probe", nil)
		cancel()
		if err == nil {
			ok++
		} else if firstErr == nil {
			firstErr = err
			t.Logf("publishing to a live master fails %v after the stop: %v", time.Since(start).Round(time.Millisecond), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("during the outage %d publishes to a live master succeeded", ok)
}

// waitClusterOK waits until every node reports cluster_state:ok.
func waitClusterOK(t *testing.T, c *redistest.Cluster) {
	t.Helper()
	for _, addr := range c.Addrs() {
		node := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		eventually(t, addr+" reports cluster_state:ok", func() bool {
			info, err := node.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		_ = node.Close()
	}
}

// publishEventually publishes n events to stream, retrying for a while if
// the cluster client still fails right after the restart; it logs how many
// attempts failed.
func publishEventually(t *testing.T, pub *redisstream.Publisher, stream string, n int) []streamtest.Entry {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for failed := 0; ; failed++ {
		events := make([]redisstream.Event, n)
		for i := range events {
			events[i] = redisstream.Event{Type: "tick", Payload: map[string]any{"n": i}}
		}
		ids, err := pub.PublishBatch(context.Background(), stream, events)
		if err == nil {
			if failed > 0 {
				t.Logf("publishing to %s after the restart failed %d times first", stream, failed)
			}
			return streamtest.Entries(stream, ids)
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish to %s after the restart: %v", stream, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
