package redisstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestPublishWireFormat checks the fields Publish and PublishBatch write,
// and that the IDs they return are the entries' IDs, in order.
func TestPublishWireFormat(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	type order struct {
		ID    int64  `json:"id"`
		Note  string `json:"note"`
		Items []int  `json:"items"`
	}
	id, err := pub.Publish(ctx, "wire", "order.paid", order{ID: 1 << 60, Note: "json:x", Items: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pub.PublishBatch(ctx, "wire", []redisstream.Event{
		{Type: "a", Payload: map[string]any{"k": "v"}}, {Type: "b"}, {Type: "c", Payload: map[string]any{"n": 1.5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := rdb.XRange(ctx, "wire", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.ID)
	}
	if want := append([]string{id}, ids...); !slices.Equal(got, want) {
		t.Fatalf("stream IDs %v, returned %v", got, want)
	}
	checkFields(t, msgs[0].Values, map[string]string{
		"type": "order.paid", "id": "json:1152921504606846976", "note": `json:"json:x"`, "items": "json:[1,2]",
	})
	checkFields(t, msgs[1].Values, map[string]string{"type": "a", "k": "v"})
	checkFields(t, msgs[3].Values, map[string]string{"type": "c", "n": "json:1.5"})
	if _, err := pub.PublishBatch(ctx, "wire", []redisstream.Event{{Type: "ok"}, {Type: ""}}); err == nil {
		t.Error("PublishBatch with an empty type succeeded")
	}
	if n, _ := rdb.XLen(ctx, "wire").Result(); n != 4 {
		t.Errorf("a failed batch wrote entries: XLEN = %d, want 4", n)
	}
}

// TestTrimming checks approximate MAXLEN and MINID trimming. The server
// keeps 4 entries per stream node so that approximate trimming acts on a
// small stream.
func TestTrimming(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t, "--stream-node-max-entries", "4")
	ctx := context.Background()
	t.Run("maxlen", func(t *testing.T) {
		pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 10})
		var last []string
		for range 10 {
			ids, err := pub.PublishBatch(ctx, "trim:maxlen", events("tick", 10))
			if err != nil {
				t.Fatal(err)
			}
			last = ids
		}
		n, err := rdb.XLen(ctx, "trim:maxlen").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n < 10 || n >= 20 {
			t.Errorf("XLEN = %d after 100 entries with MAXLEN ~10, want 10..19", n)
		}
		if got := xrangeIDs(t, rdb, "trim:maxlen"); !slices.Equal(got[len(got)-10:], last) {
			t.Errorf("the newest entries were trimmed")
		}
	})
	t.Run("minid", func(t *testing.T) {
		ids := publish(t, rdb, "trim:minid", "tick", 40)
		pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MinID: ids[30]})
		id, err := pub.Publish(ctx, "trim:minid", "tick", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := xrangeIDs(t, rdb, "trim:minid")
		if len(got) >= 41 || len(got) < 11 {
			t.Errorf("%d entries left after MINID ~ %s, want 11..40", len(got), ids[30])
		}
		if want := append(slices.Clone(ids[30:]), id); !slices.Equal(got[len(got)-len(want):], want) {
			t.Errorf("entries at or after MINID were trimmed")
		}
	})
	t.Run("both", func(t *testing.T) {
		pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{MaxLen: 1, MinID: "1-0"})
		if _, err := pub.Publish(ctx, "trim:both", "tick", nil); !errors.Is(err, redisstream.ErrInvalidConfig) {
			t.Errorf("Publish with MaxLen and MinID = %v, want ErrInvalidConfig", err)
		}
	})
}

// TestRequestReply runs the seed's request/reply exchange through a
// processor, and times out when nobody answers.
func TestRequestReply(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{ReplyTTL: time.Minute})
	type sum struct {
		A, B int64
	}
	var corrIDs []string
	d := dispatcher.New(dispatcher.Config{})
	d.On("sum", dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, in sum) error {
		corr, _ := msg.Get(redisstream.CorrelationIDField)
		corrIDs = append(corrIDs, corr.(string)) // one worker: no race
		return pub.Reply(ctx, msg, map[string]any{"sum": in.A + in.B, "note": "<ok>"})
	}))
	cfg := fastConfig(t, "rpc")
	cfg.Concurrency = 1
	streamtest.StartProcessor(t, rdb, d, cfg)

	for i := range int64(3) {
		r, err := pub.Request(ctx, "rpc", "sum", sum{A: i, B: 40}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Sum  int64  `json:"sum"`
			Note string `json:"note"`
		}
		if err := r.Decode(&out); err != nil {
			t.Fatal(err)
		}
		if out.Sum != i+40 || out.Note != "<ok>" {
			t.Errorf("reply %+v, want sum %d", out, i+40)
		}
		var raw map[string]any
		if err := json.Unmarshal(r.Raw, &raw); err != nil || raw["sum"] != float64(i+40) {
			t.Errorf("reply %s is not the JSON object a Python json.loads would read", r.Raw)
		}
		if m, err := r.Payload(); err != nil || m["sum"] != json.Number(strconv.FormatInt(i+40, 10)) {
			t.Errorf("Payload() = %v, %v", m, err)
		}
	}
	hex := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, c := range corrIDs {
		if !hex.MatchString(c) {
			t.Errorf("correlation_id %q is not 32 hex digits", c)
		}
	}
	if len(corrIDs) != 3 || corrIDs[0] == corrIDs[1] {
		t.Errorf("correlation IDs %v, want 3 distinct", corrIDs)
	}

	_, err := pub.Request(ctx, "nobody-listens", "sum", sum{}, 300*time.Millisecond)
	if !errors.Is(err, redisstream.ErrReplyTimeout) {
		t.Fatalf("Request without a responder = %v, want ErrReplyTimeout", err)
	}
}

// TestReplyKeyAndTTL checks where Reply pushes and that the list expires.
func TestReplyKeyAndTTL(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{ReplyTTL: 42 * time.Second})
	req := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "q", "correlation_id": "abc"})
	if err := pub.Reply(ctx, req, map[string]any{"ok": true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := rdb.LRange(ctx, "reply:abc", 0, -1).Result(); !slices.Equal(got, []string{`json:{"ok":true}`}) {
		t.Errorf("reply list = %q", got)
	}
	if ttl, _ := rdb.TTL(ctx, "reply:abc").Result(); ttl <= 0 || ttl > 42*time.Second {
		t.Errorf("TTL = %s, want (0, 42s]", ttl)
	}
	if got := redisstream.ReplyKey("abc"); got != "reply:abc" {
		t.Errorf("ReplyKey = %q, want the seed's reply:abc", got)
	}
	noCorr := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "q"})
	if err := pub.Reply(ctx, noCorr, nil); !errors.Is(err, redisstream.ErrNoCorrelationID) {
		t.Errorf("Reply without correlation_id = %v", err)
	}
	if err := pub.Reply(ctx, req, []int{1}); err == nil {
		t.Error("Reply with a non-object payload succeeded")
	}
}

func events(typ string, n int) []redisstream.Event {
	out := make([]redisstream.Event, n)
	for i := range out {
		out[i] = redisstream.Event{Type: typ, Payload: map[string]any{"n": i}}
	}
	return out
}

func xrangeIDs(t testing.TB, rdb redis.UniversalClient, stream string) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids
}

// refusingHook is a go-redis hook that fails every pipeline without running
// it, as a circuit breaker would.
type refusingHook struct{}

func (refusingHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (refusingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (refusingHook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(context.Context, []redis.Cmder) error { return errors.New("circuit open") }
}

// TestPublishBatchPipelineRefused checks that a batch a go-redis hook
// refused reports the hook's error instead of empty IDs and success.
func TestPublishBatchPipelineRefused(t *testing.T) {
	t.Parallel()
	srv, _ := newRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(refusingHook{})
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	ids, err := pub.PublishBatch(context.Background(), "refused", events("tick", 3))
	if err == nil || !strings.Contains(err.Error(), "circuit open") {
		t.Fatalf("PublishBatch through a refusing hook = %v, %v; want the hook's error", ids, err)
	}
	if n := srv.Client(t).XLen(context.Background(), "refused").Val(); n != 0 {
		t.Errorf("XLEN = %d, want 0", n)
	}
}
