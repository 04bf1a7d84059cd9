package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// tailBlock is how long one XREAD of Tail waits for new entries.
const tailBlock = time.Second

// Entry is one stream entry, decoded.
type Entry struct {
	// Stream is the stream it was read from.
	Stream string `json:"stream"`
	// ID is its entry ID.
	ID string `json:"id"`
	// Type is its event type, "" if it has none.
	Type string `json:"type"`
	// Fields are its raw fields.
	Fields map[string]string `json:"fields"`
	// Payload is Fields decoded with dispatcher.DecodeFields, nil when a
	// field does not decode (DecodeError says why).
	Payload map[string]any `json:"payload,omitempty"`
	// DecodeError is the codec's error for Fields, "" when they decode.
	DecodeError string `json:"decode_error,omitempty"`
}

// Tail passes the entries of stream after the ID from ("$" for only those
// added from now on, "0" for every entry) to fn, in order, as they arrive,
// until ctx ends (then it returns nil) or fn returns an error (returned as
// is). It reads with XREAD BLOCK and belongs to no consumer group: it
// changes nothing in Redis.
func (in *Inspector) Tail(ctx context.Context, stream, from string, fn func(Entry) error) error {
	if from == "" {
		from = "$"
	}
	if from == "$" {
		// Resolve "$" once, so that an entry added between two reads is
		// not skipped.
		last, err := in.rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
		if err != nil {
			return fmt.Errorf("inspect: tail %s: %w", stream, err)
		}
		from = "0-0"
		if len(last) > 0 {
			from = last[0].ID
		}
	}
	for {
		res, err := in.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, from}, Count: 100, Block: tailBlock}).Result()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			return fmt.Errorf("inspect: tail %s: %w", stream, err)
		}
		for _, s := range res {
			for _, m := range s.Messages {
				if err := fn(decodeEntry(stream, m)); err != nil {
					return err
				}
				from = m.ID
			}
		}
	}
}

// decodeEntry decodes one entry of stream.
func decodeEntry(stream string, m redis.XMessage) Entry {
	fields := stringFields(m.Values)
	e := Entry{Stream: stream, ID: m.ID, Fields: fields, Type: dispatcher.NewMessage(stream, m.ID, fields).Type}
	e.Payload, e.DecodeError = decodePayload(fields)
	return e
}

// decodePayload decodes fields with the codec: the payload, or the codec's
// error as text.
func decodePayload(fields map[string]string) (map[string]any, string) {
	payload, err := dispatcher.DecodeFields(fields)
	if err != nil {
		return nil, err.Error()
	}
	return payload, ""
}
