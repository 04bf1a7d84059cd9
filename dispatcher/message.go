package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Message is one stream entry as a handler sees it.
//
// A Message belongs to the goroutine that handles it: the routes of one
// message run one after the other on the same goroutine, so a handler may read
// it freely, but must not keep it, or hand it to another goroutine, after
// Handle returns without copying what it needs: the Processor of package
// redisstream reuses its memory once the entry is settled. Its Fields map
// is never reused.
type Message struct {
	// ID is the stream entry ID, such as "1700000000000-0".
	ID string
	// Stream is the name of the stream the entry was read from.
	Stream string
	// Type is the decoded "type" field; empty when the entry has none.
	Type string
	// Fields holds the raw field values as stored in Redis (see EncodeValue).
	Fields map[string]string
	// ConsumerGroup is the Redis consumer group that delivered the entry
	// (kept on a retry task); empty for a message built outside a consumer
	// group. It is not a route's logical group (Route.Group).
	ConsumerGroup string
	// Attempt is the number of this run of the handler for this entry,
	// starting at 1: the n-th run is attempt n. On the stream it is the
	// entry's delivery count (every route runs again on a redelivery); on an
	// asynq retry (package asynqretry), which runs one route alone, it is that
	// route's run number, counted on from the attempt that failed (2 for the
	// first retry of an entry delivered once).
	Attempt int
}

// NewMessage builds a Message from raw stream fields and decodes its type. A
// "type" value written as JSON (json:"order.paid") is decoded; a type that is
// not a string leaves Type empty, so the message is treated as having none.
func NewMessage(stream, id string, fields map[string]string) *Message {
	return &Message{ID: id, Stream: stream, Type: typeOf(fields), Fields: fields, Attempt: 1}
}

func typeOf(fields map[string]string) string {
	raw := fields[TypeField]
	if !strings.HasPrefix(raw, JSONPrefix) {
		return raw
	}
	v, err := DecodeValue(TypeField, raw)
	if s, ok := v.(string); ok && err == nil {
		return s
	}
	return ""
}

// IdempotencyKey returns a key for the side effects of route for this
// message, the same on every delivery and retry of the message to that
// consumer group: "<consumer group>/<stream>/<entry ID>/<route>". A
// handler that must act once passes it to what it calls (an idempotency
// key of a payment API, a unique column, a SET NX), closing the window
// that completion markers leave open (see Idempotent).
func (m *Message) IdempotencyKey(route string) string {
	return m.ConsumerGroup + "/" + m.Stream + "/" + m.ID + "/" + route
}

// Get decodes one field. It returns nil and no error when the field is absent.
func (m *Message) Get(field string) (any, error) {
	raw, ok := m.Fields[field]
	if !ok {
		return nil, nil
	}
	return DecodeValue(field, raw)
}

// Payload decodes every field into a map, "type" included. Numbers are
// json.Number values, so an integer above 2^53 keeps every digit.
func (m *Message) Payload() (map[string]any, error) {
	return DecodeFields(m.Fields)
}

// Decode decodes the fields into v, usually a pointer to a struct with json
// tags, as encoding/json would decode the equivalent JSON object. Numbers
// decoded into interface values are json.Number. A field that is not valid
// JSON after its prefix fails with an error that names it and wraps ErrDecode.
func (m *Message) Decode(v any) error {
	doc, err := m.jsonObject()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%w %q of message %s (type %q): %w", ErrDecode, te.Field, m.ID, m.Type, err)
		}
		return fmt.Errorf("%w: message %s (type %q) into %T: %w", ErrDecode, m.ID, m.Type, v, err)
	}
	return nil
}

// jsonObject renders the fields as one JSON object, checking each JSON value
// on its own: a value such as `json:1,"other":2` must not inject a member, and
// an error must name its field.
func (m *Message) jsonObject() ([]byte, error) {
	size := 2
	for k, raw := range m.Fields {
		size += len(k) + len(raw) + 4
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '{')
	first := true
	for k, raw := range m.Fields {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		js, ok := strings.CutPrefix(raw, JSONPrefix)
		if !ok {
			buf = appendJSONString(buf, raw)
			continue
		}
		if !json.Valid([]byte(js)) {
			return nil, firstFieldError(m.Fields)
		}
		buf = append(buf, js...)
	}
	return append(buf, '}'), nil
}
