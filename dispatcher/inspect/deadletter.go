package inspect

import (
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// DeadLetter is one entry of a dead-letter stream, decoded: the dead-letter
// fields the engine adds (see dispatcher.DeadLetterFields) and the original
// entry.
type DeadLetter struct {
	// ID is the entry's ID in the dead-letter stream.
	ID string `json:"id"`
	// DeadStream is the dead-letter stream.
	DeadStream string `json:"dead_stream"`
	// Stream is the source stream (dispatcher.DeadStreamField).
	Stream string `json:"stream"`
	// SourceID is the ID the entry had in Stream (dispatcher.DeadIDField).
	SourceID string `json:"source_id"`
	// Type is the event type of the original entry.
	Type string `json:"type"`
	// Route is the route that failed, "" for an entry no route handled.
	Route string `json:"route"`
	// Reason is the error that sent the entry there.
	Reason string `json:"reason"`
	// Attempts is how many times the route ran.
	Attempts int `json:"attempts"`
	// At is when the entry was dead-lettered (dispatcher.DeadAtField, else
	// the time in ID).
	At time.Time `json:"at"`
	// Fields are the original entry's raw fields, without the dead-letter
	// fields: what Replay publishes.
	Fields map[string]string `json:"fields"`
	// Payload is Fields decoded with dispatcher.DecodeFields, nil when a
	// field does not decode (DecodeError says why).
	Payload map[string]any `json:"payload,omitempty"`
	// DecodeError is the codec's error for Fields, "" when they decode.
	DecodeError string `json:"decode_error,omitempty"`
}

// deadFields are the fields the engine adds to a dead-letter entry.
var deadFields = []string{
	dispatcher.DeadReasonField, dispatcher.DeadRouteField, dispatcher.DeadAttemptsField,
	dispatcher.DeadStreamField, dispatcher.DeadIDField, dispatcher.DeadAtField,
}

// decodeDeadLetter decodes one entry of deadStream.
func decodeDeadLetter(deadStream string, m redis.XMessage) DeadLetter {
	all := stringFields(m.Values)
	d := DeadLetter{
		ID:         m.ID,
		DeadStream: deadStream,
		Stream:     all[dispatcher.DeadStreamField],
		SourceID:   all[dispatcher.DeadIDField],
		Route:      all[dispatcher.DeadRouteField],
		Reason:     all[dispatcher.DeadReasonField],
		Fields:     all,
	}
	d.Attempts, _ = strconv.Atoi(all[dispatcher.DeadAttemptsField])
	at, err := time.Parse(time.RFC3339Nano, all[dispatcher.DeadAtField])
	if err != nil {
		at = IDTime(m.ID)
	}
	d.At = at
	for _, f := range deadFields {
		delete(all, f)
	}
	d.Type = dispatcher.NewMessage(d.Stream, d.SourceID, all).Type
	d.Payload, d.DecodeError = decodePayload(all)
	return d
}

// replayKey names the source entry of d: dead letters of the same entry
// (one per failed route) share it, and Replay publishes the entry once.
func (d DeadLetter) replayKey() string {
	if d.Stream == "" || d.SourceID == "" {
		return d.DeadStream + "/" + d.ID
	}
	return d.Stream + "/" + d.SourceID
}
