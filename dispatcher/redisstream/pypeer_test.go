package redisstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// The tests of this file play a Python service using codex_platform.streams
// on the other side of a request/reply exchange, writing and reading Redis
// exactly as the seed's rules say: a reply is
// encode_stream_payload({"reply": data})["reply"] ("json:" and compact JSON,
// ensure_ascii=False, Python's float repr; a str stored as it is), LPUSHed to
// reply:<correlation_id>, then EXPIREd only when a TTL is given; a request
// BRPOPs it, strips "json:" and parses the JSON, then json.loads a result
// that is still a string.

// pyReplier answers the next request on stream as the seed's publish_reply
// does, with the reply value body, and returns the request's fields.
func pyReplier(ctx context.Context, rdb redis.UniversalClient, stream, body string) (map[string]any, error) {
	res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, "0"}, Count: 1, Block: waitTimeout}).Result()
	if err != nil {
		return nil, err
	}
	fields := res[0].Messages[0].Values
	corr, _ := fields["correlation_id"].(string)
	if corr == "" {
		return fields, errors.New("request without a plain correlation_id field")
	}
	if err := rdb.LPush(ctx, "reply:"+corr, body).Err(); err != nil {
		return fields, err
	}
	return fields, rdb.Expire(ctx, "reply:"+corr, time.Minute).Err()
}

// TestRequestAnsweredByPythonPeer: a Go Request reads every form of reply
// the seed may push.
func TestRequestAnsweredByPythonPeer(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	tests := []struct {
		name, body string
		want       string // the reply's JSON
	}{
		{"dict", `json:{"echo":41,"by":"python","ratio":100.0,"city":"Zürich"}`, `{"echo":41,"by":"python","ratio":100.0,"city":"Zürich"}`},
		{"str holding JSON", `{"echo":41}`, `{"echo":41}`},
		{"JSON string holding JSON", `json:"{\"echo\":41}"`, `{"echo":41}`},
		{"plain str", `done`, `"done"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := "rpc-" + string(rune('a'+i))
			peer := make(chan error, 1)
			go func() {
				fields, err := pyReplier(ctx, rdb, stream, tt.body)
				if err == nil && (fields["type"] != "echo" || fields["n"] != "json:41") {
					err = errors.New("request fields not in the seed's format")
				}
				peer <- err
			}()
			r, err := pub.Request(ctx, stream, "echo", map[string]any{"n": 41}, waitTimeout)
			if perr := <-peer; perr != nil {
				t.Errorf("peer: %v", perr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Raw) != tt.want {
				t.Errorf("reply %q read as %s, want %s", tt.body, r.Raw, tt.want)
			}
		})
	}
	peer := make(chan error, 1)
	go func() {
		_, err := pyReplier(ctx, rdb, "rpc-python", `json:{"echo":41,"by":"python","ratio":100.0}`)
		peer <- err
	}()
	r, err := pub.Request(ctx, "rpc-python", "echo", nil, waitTimeout)
	if perr := <-peer; perr != nil { // the peer's EXPIRE may still run when the reply is read
		t.Errorf("peer: %v", perr)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Payload()
	if err != nil || m["echo"] != json.Number("41") || m["by"] != "python" || m["ratio"] != json.Number("100.0") {
		t.Errorf("Payload() = %#v, %v", m, err)
	}
}

// TestReplyReadByPythonPeer: a Go Reply is written exactly as the seed's
// publish_reply writes it, and expires only when a TTL is set.
func TestReplyReadByPythonPeer(t *testing.T) {
	t.Parallel()
	_, rdb := newRedis(t)
	ctx := context.Background()
	type quote struct {
		Room  string  `json:"room"`
		Total float64 `json:"total"`
	}
	tests := []struct {
		name    string
		ttl     time.Duration
		payload any
		want    string
		wantTTL bool
	}{
		{"map", time.Minute, map[string]any{"total": 100.0, "note": "a\u2028b <&>", "n": 3},
			"json:{\"n\":3,\"note\":\"a\u2028b <&>\",\"total\":100.0}", true},
		{"struct", time.Minute, quote{Room: "sea-view", Total: 100}, `json:{"room":"sea-view","total":100.0}`, true},
		{"nil", time.Minute, nil, `json:{}`, true},
		{"no TTL", -1, map[string]any{"ok": true}, `json:{"ok":true}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{ReplyTTL: tt.ttl})
			corr := "corr-" + strings.ReplaceAll(tt.name, " ", "-")
			req := dispatcher.NewMessage("rpc", "1-0", map[string]string{"type": "quote", "correlation_id": corr})
			if err := pub.Reply(ctx, req, tt.payload); err != nil {
				t.Fatal(err)
			}
			ttl := rdb.TTL(ctx, "reply:"+corr).Val()
			res, err := rdb.BRPop(ctx, time.Second, "reply:"+corr).Result()
			if err != nil {
				t.Fatal(err)
			}
			if res[1] != tt.want {
				t.Errorf("reply = %q, the seed writes %q", res[1], tt.want)
			}
			if got := ttl > 0; got != tt.wantTTL {
				t.Errorf("TTL = %s, want one set: %v", ttl, tt.wantTTL)
			}
		})
	}
}
