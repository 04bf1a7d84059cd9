package redisstream_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestRequestDedup sends a Request with a DedupID whose reply is lost
// after Redis wrote it, then two more with the same key at once while the
// responder holds the reply back until both wait, then a fourth after the
// reply: the stream holds one request, the responder ran once, and the
// three callers that waited get its reply.
func TestRequestDedup(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	hook := &streamtest.LoseReplies{}
	rdb.AddHook(hook)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	var runs atomic.Int32
	release := make(chan struct{})
	d := dispatcher.New(dispatcher.Config{})
	d.On("quote", dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
		runs.Add(1)
		<-release
		return pub.Reply(ctx, msg, map[string]any{"price": 42, "entry": msg.ID})
	}))
	streamtest.StartProcessor(t, rdb, d, fastConfig(t, "quotes"))

	hook.N.Store(1)
	if _, err := pub.Request(ctx, "quotes", "quote", nil, 5*time.Second, redisstream.DedupID("q-1")); err == nil {
		t.Fatal("Request succeeded although the reply of its write was lost")
	}
	replies := make([]*redisstream.Reply, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Go(func() {
			replies[i], errs[i] = pub.Request(ctx, "quotes", "quote", map[string]any{"try": i}, 20*time.Second, redisstream.DedupID("q-1"))
		})
	}
	eventually(t, "both retries wait for the reply", func() bool { return blockedIn(t, rdb, "blmove") == 2 })
	close(release)
	wg.Wait()
	later, err := pub.Request(ctx, "quotes", "quote", nil, 5*time.Second, redisstream.DedupID("q-1"))
	for i, err := range append(errs, err) {
		if err != nil {
			t.Fatalf("Request %d with the same DedupID: %v", i+2, err)
		}
	}
	entries, err := rdb.XRange(ctx, "quotes", "-", "+").Result()
	if err != nil || len(entries) != 1 {
		t.Fatalf("stream holds %d entries (%v), want the one request", len(entries), err)
	}
	want := `{"entry":"` + entries[0].ID + `","price":42}`
	for i, r := range append(replies, later) {
		if string(r.Raw) != want || r.CorrelationID != entries[0].Values[redisstream.CorrelationIDField] {
			t.Errorf("caller %d got %s for %s, want %s for the entry's correlation_id", i+2, r.Raw, r.CorrelationID, want)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("the responder ran %d times, want 1", n)
	}
}

// TestRequestDedupErrors checks what a Request gets when its DedupID names
// an event without a correlation_id, or an entry deleted from the stream,
// and that a Request without a DedupID still pops its reply.
func TestRequestDedupErrors(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	if _, err := pub.Publish(ctx, "rq", "event", nil, redisstream.DedupID("plain")); err != nil {
		t.Fatal(err)
	}
	_, err := pub.Request(ctx, "rq", "quote", nil, time.Second, redisstream.DedupID("plain"))
	if !errors.Is(err, redisstream.ErrNoCorrelationID) {
		t.Errorf("Request naming a published event: %v, want ErrNoCorrelationID", err)
	}
	_, err = pub.Request(ctx, "rq", "quote", nil, 100*time.Millisecond, redisstream.DedupID("gone"))
	if !errors.Is(err, redisstream.ErrReplyTimeout) {
		t.Fatalf("Request nobody answers: %v, want ErrReplyTimeout", err)
	}
	last, err := rdb.XRevRangeN(ctx, "rq", "+", "-", 1).Result()
	if err != nil || len(last) != 1 {
		t.Fatal(last, err)
	}
	rdb.XDel(ctx, "rq", last[0].ID)
	_, err = pub.Request(ctx, "rq", "quote", nil, time.Second, redisstream.DedupID("gone"))
	if !errors.Is(err, redisstream.ErrRequestGone) {
		t.Errorf("Request naming a deleted entry: %v, want ErrRequestGone", err)
	}
}

// blockedIn returns the number of clients blocked in cmd.
func blockedIn(t testing.TB, rdb redis.UniversalClient, cmd string) int {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range strings.Split(list, "\n") {
		if strings.Contains(c, " flags=b ") && strings.Contains(c, " cmd="+cmd+" ") {
			n++
		}
	}
	return n
}
