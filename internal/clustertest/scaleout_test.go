package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
)

// TestClusterScaleOut shares one stream among the consumer processes of
// one group: one process, then three (each is this test binary started
// again as a consumer), first with handlers that do nothing (30,000
// messages), then with handlers that wait 5ms as for an I/O call (6,000
// messages). The messages are published before the processes start and
// released to the group at once, so that no process starts ahead. Every
// message is handled exactly once across the processes (a clean run: no
// crash, so no redelivery). The split among the processes and the
// throughput are logged, never asserted.
func TestClusterScaleOut(t *testing.T) {
	c, rdb := startCluster(t)
	runs := []scaleRun{
		{stream: "{scale1}", procs: 1, total: 30000},
		{stream: "{scale3}", procs: 3, total: 30000},
		{stream: "{io1}", procs: 1, total: 6000, work: 5 * time.Millisecond},
		{stream: "{io3}", procs: 3, total: 6000, work: 5 * time.Millisecond},
	}
	for _, run := range runs {
		s := runScale(t, c, rdb, run)
		t.Logf("%d process(es), %d messages, handler work %v, stream %s: split %v; %.0f msg/s "+
			"(%v from release to last ack; first to last handled %v)", run.procs, run.total, run.work,
			describe(t, rdb, run.stream), s.split, float64(run.total)/s.drained.Seconds(),
			s.drained.Round(time.Millisecond), s.last.Sub(s.first).Round(time.Millisecond))
	}
}

// scaleRun describes one scale-out run.
type scaleRun struct {
	stream string
	procs  int
	total  int           // messages
	work   time.Duration // how long each handler waits
}

// scaleStats are the figures of one scale-out run.
type scaleStats struct {
	split       []int         // messages handled by each process
	drained     time.Duration // from release until all read and acknowledged
	first, last time.Time     // first and last message handled
}

// runScale publishes run.total messages to run.stream, starts run.procs
// consumer processes in group "scale" (created at the end of the stream, so
// they find nothing), releases the messages to the group with XGROUP SETID,
// waits until the group has read and acknowledged them all, stops the
// processes, and checks that each message was handled by exactly one
// process, once.
func runScale(t *testing.T, c *redistest.Cluster, rdb *redis.ClusterClient, run scaleRun) scaleStats {
	t.Helper()
	ctx := context.Background()
	want := publishMany(t, rdb, run.stream, run.total)
	if err := rdb.XGroupCreate(ctx, run.stream, "scale", "$").Err(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	children := make([]*child, run.procs)
	for i := range children {
		children[i] = startChild(t, c, run, fmt.Sprintf("consumer-%d", i+1), dir)
	}
	node, err := rdb.MasterForKey(ctx, run.stream)
	if err != nil {
		t.Fatal(err)
	}
	released := time.Now()
	if err := node.Do(ctx, "XGROUP", "SETID", run.stream, "scale", "0", "ENTRIESREAD", "0").Err(); err != nil {
		t.Fatalf("release the entries to the group: %v", err)
	}
	var s scaleStats
	s.drained = waitDrained(t, rdb, run).Sub(released)
	handled := map[string]int{}
	for _, ch := range children {
		res := ch.stop(t)
		s.split = append(s.split, len(res.IDs))
		for _, id := range res.IDs {
			handled[id]++
		}
		if !res.First.IsZero() && (s.first.IsZero() || res.First.Before(s.first)) {
			s.first = res.First
		}
		if res.Last.After(s.last) {
			s.last = res.Last
		}
	}
	for _, id := range want {
		if handled[id] != 1 {
			t.Errorf("entry %s handled %d times across the processes, want 1", id, handled[id])
		}
	}
	if len(handled) != len(want) {
		t.Errorf("%d distinct entries handled, want %d", len(handled), len(want))
	}
	return s
}

// waitDrained waits until the group has read every entry and has none
// pending, and returns when it saw that.
func waitDrained(t *testing.T, rdb redis.UniversalClient, run scaleRun) time.Time {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		g := groupInfo(t, rdb, run.stream, "scale")
		if g.EntriesRead >= int64(run.total) && g.Pending == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group read %d of %d entries, %d pending, after 90s", g.EntriesRead, run.total, g.Pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// publishMany publishes n tick events to stream in pipelined batches and
// returns their IDs.
func publishMany(t *testing.T, rdb redis.UniversalClient, stream string, n int) []string {
	t.Helper()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	const batch = 1000
	ids := make([]string, 0, n)
	for len(ids) < n {
		events := make([]redisstream.Event, min(batch, n-len(ids)))
		for i := range events {
			events[i] = redisstream.Event{Type: "tick", Payload: map[string]any{"n": len(ids) + i}}
		}
		got, err := pub.PublishBatch(context.Background(), stream, events)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	return ids
}

// child is a consumer process: this test binary run with consumerEnv set.
type child struct {
	name   string
	out    string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
}

// startChild starts a consumer process and waits until it consumes. It is
// killed when t ends if it is still running.
func startChild(t *testing.T, c *redistest.Cluster, run scaleRun, name, dir string) *child {
	t.Helper()
	ch := &child{name: name, out: filepath.Join(dir, name+".json")}
	ch.cmd = exec.Command(os.Args[0], "-test.run=^$")
	ch.cmd.Env = append(os.Environ(), consumerEnv+"="+name, consumerAddrsEnv+"="+strings.Join(c.Addrs(), ","),
		consumerStreamEnv+"="+run.stream, consumerGroupEnv+"=scale", consumerOutEnv+"="+ch.out,
		consumerWorkEnv+"="+run.work.String())
	ch.cmd.Stderr = &ch.stderr
	var err error
	if ch.stdin, err = ch.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := ch.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.cmd.Start(); err != nil {
		t.Fatalf("start consumer process %s: %v", name, err)
	}
	t.Cleanup(func() {
		if ch.cmd.ProcessState == nil {
			_ = ch.cmd.Process.Kill()
			_ = ch.cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != readyLine {
		_ = ch.cmd.Wait()
		t.Fatalf("consumer process %s did not start (%q, %v): %s", name, line, err, ch.stderr.String())
	}
	return ch
}

// stop closes the process's stdin, waits for its clean exit and returns
// what it handled.
func (ch *child) stop(t *testing.T) consumerResult {
	t.Helper()
	_ = ch.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- ch.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("consumer process %s: %v: %s", ch.name, err, ch.stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = ch.cmd.Process.Kill()
		<-done
		t.Fatalf("consumer process %s did not stop within 30s: %s", ch.name, ch.stderr.String())
	}
	b, err := os.ReadFile(ch.out)
	if err != nil {
		t.Fatal(err)
	}
	var res consumerResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("result of %s: %v", ch.name, err)
	}
	return res
}
