package dispatchertest

import (
	"maps"

	"github.com/streamfx/streamfx/dispatcher"
)

// Stream and ID are the stream name and entry ID of a Message built by
// NewMessage. Set Message.Stream, ID or Attempt after NewMessage to test
// other values.
const (
	Stream = "test"
	ID     = "0-1"
)

// NewMessage returns a Message of eventType whose fields are payload encoded
// by dispatcher.EncodeFields, exactly as a Publisher writes it to Redis, on
// stream Stream with entry ID ID and Attempt 1. payload may be nil, a map or
// a struct with json tags. NewMessage panics if eventType is empty or
// payload cannot be encoded: it is meant for tests, where that is a bug in
// the test.
func NewMessage(eventType string, payload any) *dispatcher.Message {
	kv, err := dispatcher.EncodeFields(eventType, payload)
	if err != nil {
		panic("dispatchertest: NewMessage: " + err.Error())
	}
	fields := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		fields[kv[i]] = kv[i+1]
	}
	return dispatcher.NewMessage(Stream, ID, fields)
}

// clone copies msg, fields included, so that a copy can be kept after the
// handler returns.
func clone(msg *dispatcher.Message) *dispatcher.Message {
	c := *msg
	c.Fields = maps.Clone(msg.Fields)
	return &c
}
