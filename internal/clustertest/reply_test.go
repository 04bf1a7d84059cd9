package clustertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestClusterRequestReply sends concurrent requests to three streams served
// by three masters. Each handler replies to the list "reply:<correlation_id>"
// (LPUSH and EXPIRE of that one key in MULTI/EXEC), which lives in whatever
// slot its random ID hashes to; each requester gets its own reply, the
// reply lists spread over the masters and are gone once read, and a request
// nobody answers times out with redisstream.ErrReplyTimeout.
func TestClusterRequestReply(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	streams := []string{ordersStream, paymentsStream, usersStream}
	requireSpread(t, rdb, streams...)
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{ReplyTTL: 10 * time.Second})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("echo", func(ctx context.Context, msg *dispatcher.Message) error {
		n, err := msg.Get("n")
		if err != nil {
			return dispatcher.Permanent(err)
		}
		return pub.Reply(ctx, msg, map[string]any{"n": n, "stream": msg.Stream})
	}, dispatcher.Named("echo"))
	log, _ := observed(t)
	streamtest.StartProcessor(t, rdb, d, fastConfig(log, streams...))

	const perStream = 10
	replies := make(chan *redisstream.Reply, perStream*len(streams))
	var wg sync.WaitGroup
	for _, s := range streams {
		for i := 0; i < perStream; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := pub.Request(context.Background(), s, "echo", map[string]any{"n": i}, 10*time.Second)
				if err != nil {
					t.Errorf("request %d to %s: %v", i, s, err)
					return
				}
				checkEcho(t, r, s, i)
				replies <- r
			}()
		}
	}
	wg.Wait()
	close(replies)
	nodes := map[string]int{}
	for r := range replies {
		key := redisstream.ReplyKey(r.CorrelationID)
		nodes[nodeOf(t, rdb, key)]++
		if n := rdb.Exists(context.Background(), key).Val(); n != 0 {
			t.Errorf("reply list %s still exists after its reply was read", key)
		}
	}
	if len(nodes) < 2 {
		t.Errorf("%d reply lists all on one master: %v", perStream*len(streams), nodes)
	}
	t.Logf("reply lists per master: %v", nodes)

	_, err := pub.Request(context.Background(), usersStream, "nobody-answers", nil, 500*time.Millisecond)
	if !errors.Is(err, redisstream.ErrReplyTimeout) {
		t.Errorf("unanswered request: %v, want ErrReplyTimeout", err)
	}
}

// checkEcho fails t unless r echoes request i sent to stream.
func checkEcho(t *testing.T, r *redisstream.Reply, stream string, i int) {
	var got struct {
		N      any    `json:"n"`
		Stream string `json:"stream"`
	}
	if err := r.Decode(&got); err != nil {
		t.Errorf("decode reply: %v", err)
		return
	}
	if fmt.Sprint(got.N) != fmt.Sprint(i) || got.Stream != stream {
		t.Errorf("request %d to %s got the reply %s", i, stream, r.Raw)
	}
}
