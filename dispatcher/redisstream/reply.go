package redisstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Reply is the reply to a Request: a JSON object.
type Reply struct {
	// CorrelationID is the correlation ID of the request.
	CorrelationID string
	// Raw is the reply as received: a JSON object.
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
// waits up to timeout for its reply. It returns ErrReplyTimeout
// (wrapped) if no reply came in time; ctx ends the wait early. payload must
// be nil or encode to a JSON object.
func (p *Publisher) Request(ctx context.Context, stream, eventType string, payload any, timeout time.Duration) (*Reply, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("%w: request timeout must be > 0", ErrInvalidConfig)
	}
	corr := newCorrelationID()
	fields, err := p.encode(ctx, eventType, payload, CorrelationIDField, corr)
	if err != nil {
		return nil, err
	}
	if err := p.xadd(ctx, stream, fields).Err(); err != nil {
		return nil, fmt.Errorf("redisstream: request %s to %s: %w", eventType, stream, err)
	}
	return p.await(ctx, corr, timeout)
}

// await blocks on the reply list. BRPOP takes whole seconds, so it is given
// the timeout rounded up, and the exact timeout is enforced by the context.
func (p *Publisher) await(ctx context.Context, corr string, timeout time.Duration) (*Reply, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	secs := (timeout + time.Second - 1) / time.Second * time.Second
	res, err := p.rdb.BRPop(wctx, secs, ReplyKey(corr)).Result()
	timedOut := errors.Is(err, redis.Nil) || (err != nil && ctx.Err() == nil && wctx.Err() != nil)
	switch {
	case timedOut:
		return nil, fmt.Errorf("redisstream: request %s: %w (%s)", corr, ErrReplyTimeout, timeout)
	case err != nil:
		return nil, fmt.Errorf("redisstream: await reply %s: %w", corr, err)
	}
	return &Reply{CorrelationID: corr, Raw: json.RawMessage(res[1])}, nil
}

// Reply sends payload as the reply to the request req: it pushes the JSON
// object to the request's reply list and sets the list's TTL, in one
// round trip. payload must marshal to a JSON object (or be nil: {}). It
// returns ErrNoCorrelationID if req has no correlation_id.
func (p *Publisher) Reply(ctx context.Context, req *dispatcher.Message, payload any) error {
	v, err := req.Get(CorrelationIDField)
	corr, _ := v.(string)
	if err != nil || corr == "" {
		return fmt.Errorf("%w: %s/%s", ErrNoCorrelationID, req.Stream, req.ID)
	}
	body, err := replyBody(payload)
	if err != nil {
		return err
	}
	key := ReplyKey(corr)
	_, err = p.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.LPush(ctx, key, body)
		pipe.Expire(ctx, key, p.cfg.ReplyTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstream: reply to %s: %w", corr, err)
	}
	return nil
}

// replyBody marshals payload to a compact JSON object.
func replyBody(payload any) (string, error) {
	if payload == nil {
		return "{}", nil
	}
	b, err := marshalObject(payload)
	if err != nil {
		return "", fmt.Errorf("redisstream: encode reply: %w", err)
	}
	return string(b), nil
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

// marshalObject marshals v to compact JSON, keeping <, > and & as they are,
// and checks that the result is an object.
func marshalObject(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("reply payload %T is not a JSON object", v)
	}
	return b, nil
}

// decodeJSON decodes data into v with json.Number for numbers.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
