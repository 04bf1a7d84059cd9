package redisstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestCluster runs a processor on two streams that live on different nodes
// of a 3-master Redis Cluster, with failures dead-lettered and a
// request/reply exchange, through a redis.ClusterClient.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	rdb := c.Client(t)
	ctx := context.Background()
	streams := []string{"{orders}", "{users}"}
	rec := new(streamtest.Recorder)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	d := counted(rec, "tick")
	d.OnFunc("bad", func(context.Context, *dispatcher.Message) error {
		return dispatcher.Permanent(errBad)
	})
	d.OnFunc("ping", func(ctx context.Context, msg *dispatcher.Message) error {
		return pub.Reply(ctx, msg, map[string]any{"pong": true})
	})
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(t, streams...))
	var want []streamtest.Entry
	for _, s := range streams {
		want = append(want, streamtest.Entries(s, publish(t, rdb, s, "tick", 30))...)
		publish(t, rdb, s, "bad", 1)
	}
	r, err := pub.Request(ctx, "{users}", "ping", nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := r.Payload(); err != nil || m["pong"] != true {
		t.Errorf("reply %v, %v", m, err)
	}
	eventually(t, "every entry is handled", func() bool { return rec.HandledAll(want) })
	for _, s := range streams {
		eventually(t, "the PEL of "+s+" is empty", func() bool { return pending(t, rdb, s, "g") == 0 })
		if n := len(deadLetters(t, rdb, s+":dead")); n != 1 {
			t.Errorf("%d dead letters in %s:dead, want 1", n, s)
		}
	}
	streamtest.Stop(t, p)
	rec.ExactlyOnce(t, want)
}
