package redisstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// CorrelationIDField is the request field that holds the correlation ID of a
// request/reply exchange (the seed's shape).
const CorrelationIDField = "correlation_id"

// ReplyKeyPrefix starts the name of a reply list: "reply:<correlation_id>",
// the key the Python seed builds with f"reply:{correlation_id}". A reply list
// is only ever used alone in a command, so on Redis Cluster it needs no hash
// tag.
const ReplyKeyPrefix = "reply:"

// ReplyKey returns the list a reply to correlationID is pushed to:
// "reply:<correlation_id>".
func ReplyKey(correlationID string) string {
	return ReplyKeyPrefix + correlationID
}

// Reply is the reply to a Request.
type Reply struct {
	// CorrelationID is the correlation ID of the request.
	CorrelationID string
	// Raw is the reply as JSON: the value pushed to the reply list, decoded
	// as the seed's request decodes it (see Publisher.Request). It is a JSON
	// object when the replier followed the seed's rules.
	Raw json.RawMessage
}

// Decode decodes the reply into v, as encoding/json would. Numbers decoded
// into interface values are json.Number.
func (r *Reply) Decode(v any) error {
	if err := decodeJSON(r.Raw, v); err != nil {
		return fmt.Errorf("redisstream: decode reply %s: %w", r.CorrelationID, err)
	}
	return nil
}

// Payload decodes the reply into a map. Numbers are json.Number values.
func (r *Reply) Payload() (map[string]any, error) {
	var m map[string]any
	return m, r.Decode(&m)
}

// Request publishes a request event with a fresh correlation_id field and
// waits up to timeout for its reply. The reply is read as the seed's
// request reads it, so that a Go or a Python service can answer: a value
// with the json: prefix is JSON (a Go or seed reply: "json:{...}"), and a
// value that is then, or was without the prefix, a string holding JSON is
// that JSON; any other string is the reply as a JSON string. It returns
// ErrReplyTimeout (wrapped) if no reply came in time; ctx ends the wait
// early. payload must be nil or encode to a JSON object.
//
// With the DedupID option, a Request repeated with the same key (a retry
// after a timeout or a lost connection, or a second caller) is one request:
//   - the first writes the request entry; the others, within
//     PublisherConfig.DedupWindow, write nothing and wait for the first
//     one's reply (they read the first entry's correlation_id);
//   - the reply is read without being removed from the reply list
//     (BLMOVE onto itself, where a Request without a key pops it with
//     BRPOP), so every caller gets it: the ones waiting when it comes, and
//     the later ones until the list expires, PublisherConfig.ReplyTTL after
//     the reply. A caller that comes after that waits until its timeout
//     (ErrReplyTimeout). With a negative ReplyTTL the list is never
//     removed. If the responder ran twice and replied twice, each read
//     returns one of its replies;
//   - if the key names an entry that is no longer in the stream (trimmed
//     or deleted), Request returns ErrRequestGone, and if it names an
//     event without a correlation_id (published with Publish),
//     ErrNoCorrelationID.
func (p *Publisher) Request(ctx context.Context, stream, eventType string, payload any, timeout time.Duration, opts ...PublishOption) (*Reply, error) {
	call := publishOptions(opts)
	if timeout <= 0 {
		return nil, fmt.Errorf("%w: request timeout must be > 0", ErrInvalidConfig)
	}
	corr := newCorrelationID()
	fields, err := p.encode(ctx, eventType, payload, CorrelationIDField, corr)
	if err != nil {
		return nil, err
	}
	if call.dedupID != "" {
		corr, err = p.requestOnce(ctx, stream, call.dedupID, fields)
		if err != nil {
			return nil, fmt.Errorf("redisstream: request %s to %s: %w", eventType, stream, err)
		}
		return p.await(ctx, corr, timeout, true)
	}
	if err := p.xadd(ctx, stream, fields).Err(); err != nil {
		return nil, fmt.Errorf("redisstream: request %s to %s: %w", eventType, stream, err)
	}
	return p.await(ctx, corr, timeout, false)
}

// requestOnce writes the request fields to stream unless dedupID names an
// entry of the window, and returns the correlation ID of the entry
// written or named: fields' own, or the first request's.
func (p *Publisher) requestOnce(ctx context.Context, stream, dedupID string, fields []string) (string, error) {
	ids, err := p.publishOnce(ctx, stream, []Event{{DedupID: dedupID}}, [][]string{fields}, len(fields))
	if err != nil {
		return "", err
	}
	entries, err := p.rdb.XRangeN(ctx, stream, ids[0], ids[0], 1).Result()
	if err != nil {
		return "", err
	}
	if len(entries) == 0 {
		return "", fmt.Errorf("%w: DedupID %q names entry %s", ErrRequestGone, dedupID, ids[0])
	}
	corr, _ := entries[0].Values[CorrelationIDField].(string)
	if corr == "" {
		return "", fmt.Errorf("%w: DedupID %q names entry %s", ErrNoCorrelationID, dedupID, ids[0])
	}
	return corr, nil
}

// await blocks on the reply list: with BRPOP, or, if keep, with BLMOVE
// from the list onto itself, which leaves the reply for other readers.
// Both take whole seconds here, so they are given the timeout rounded up,
// and the exact timeout is enforced by the context.
func (p *Publisher) await(ctx context.Context, corr string, timeout time.Duration, keep bool) (*Reply, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	secs := (timeout + time.Second - 1) / time.Second * time.Second
	key := ReplyKey(corr)
	var value string
	var err error
	if keep {
		value, err = p.rdb.BLMove(wctx, key, key, "RIGHT", "LEFT", secs).Result()
	} else {
		var res []string
		if res, err = p.rdb.BRPop(wctx, secs, key).Result(); err == nil {
			value = res[1]
		}
	}
	timedOut := errors.Is(err, redis.Nil) || (err != nil && ctx.Err() == nil && wctx.Err() != nil)
	switch {
	case timedOut:
		return nil, fmt.Errorf("redisstream: request %s: %w (%s)", corr, ErrReplyTimeout, timeout)
	case err != nil:
		return nil, fmt.Errorf("redisstream: await reply %s: %w", corr, err)
	}
	raw, err := replyJSON(value)
	if err != nil {
		return nil, fmt.Errorf("redisstream: reply %s: %w", corr, err)
	}
	return &Reply{CorrelationID: corr, Raw: raw}, nil
}

// replyJSON decodes a reply as the seed's request does: decode_stream_value
// (strip the json: prefix and parse the JSON), then json.loads if the result
// is still a string, keeping the string when that fails.
func replyJSON(value string) (json.RawMessage, error) {
	s := value
	if raw, ok := strings.CutPrefix(value, dispatcher.JSONPrefix); ok {
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			if !json.Valid([]byte(raw)) {
				return nil, fmt.Errorf("%w: %s", dispatcher.ErrDecode, err)
			}
			return json.RawMessage(raw), nil // not a string: the value
		}
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s), nil
	}
	return json.Marshal(s)
}

// Reply sends payload as the reply to the request req, written as the
// seed's publish_reply writes it: encoded like a stream field holding a
// dict (dispatcher.EncodeValue: "json:" and compact JSON, floats as Python
// writes them), pushed to the request's reply list, whose TTL is then set to
// PublisherConfig.ReplyTTL (unless it is negative), in one round trip.
// payload must encode to a JSON object (or be nil: {}). It returns
// ErrNoCorrelationID if req has no correlation_id.
func (p *Publisher) Reply(ctx context.Context, req *dispatcher.Message, payload any) error {
	v, err := req.Get(CorrelationIDField)
	corr, _ := v.(string)
	if err != nil || corr == "" {
		return fmt.Errorf("%w: %s/%s", ErrNoCorrelationID, req.Stream, req.ID)
	}
	body, err := replyBody(&p.enc, payload)
	if err != nil {
		return err
	}
	key := ReplyKey(corr)
	if p.cfg.ReplyTTL < 0 {
		err = p.rdb.LPush(ctx, key, body).Err()
	} else {
		_, err = p.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.LPush(ctx, key, body)
			pipe.Expire(ctx, key, p.cfg.ReplyTTL)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("redisstream: reply to %s: %w", corr, err)
	}
	return nil
}

// replyBody encodes payload as a reply: a JSON object, as EncodeValue
// writes it.
func replyBody(enc *dispatcher.Encoder, payload any) (string, error) {
	if payload == nil {
		return dispatcher.JSONPrefix + "{}", nil
	}
	body, err := enc.EncodeValue(payload)
	if err != nil {
		return "", fmt.Errorf("redisstream: encode reply: %w", err)
	}
	if !strings.HasPrefix(body, dispatcher.JSONPrefix+"{") {
		return "", fmt.Errorf("redisstream: encode reply: %w: payload %T is not a JSON object", dispatcher.ErrEncode, payload)
	}
	return body, nil
}

// withField replaces or appends field in a flat field/value list.
func withField(fields []string, field, value string) []string {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i] == field {
			fields[i+1] = value
			return fields
		}
	}
	return append(fields, field, value)
}

// newCorrelationID returns 32 random hex digits.
func newCorrelationID() string { return randomHex(16) }

// decodeJSON decodes data into v with json.Number for numbers.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
