package dispatcher

import (
	"strconv"
	"time"
)

// DeadLetterSuffix is appended to a stream name to name its default
// dead-letter stream: "orders" -> "orders:dead". With a hash-tagged stream
// name such as "{orders}" the dead-letter stream "{orders}:dead" lives in the
// same Redis Cluster slot.
const DeadLetterSuffix = ":dead"

// Fields added to a dead-letter entry, next to the original fields.
const (
	// DeadReasonField holds the error that sent the message there.
	DeadReasonField = "dead_reason"
	// DeadRouteField holds the name of the failed route ("" if unroutable).
	DeadRouteField = "dead_route"
	// DeadAttemptsField holds how many times the route ran.
	DeadAttemptsField = "dead_attempts"
	// DeadStreamField holds the source stream.
	DeadStreamField = "dead_stream"
	// DeadIDField holds the source entry ID.
	DeadIDField = "dead_id"
	// DeadAtField holds the time of dead-lettering, RFC 3339 in UTC.
	DeadAtField = "dead_at"
)

// DeadLetterStream returns the default dead-letter stream of stream.
func DeadLetterStream(stream string) string { return stream + DeadLetterSuffix }

// DeadLetterFields returns the fields of a dead-letter entry for one failed
// route of msg: the original fields (raw, untouched) plus the Dead*Field
// fields. A dead-letter entry can therefore be replayed by publishing its
// fields again.
func DeadLetterFields(msg *Message, f RouteFailure, attempts int, now time.Time) map[string]any {
	out := make(map[string]any, len(msg.Fields)+6)
	for k, v := range msg.Fields {
		out[k] = v
	}
	reason := "unknown"
	if f.Err != nil {
		reason = f.Err.Error()
	}
	out[DeadReasonField] = reason
	out[DeadRouteField] = f.Route
	out[DeadAttemptsField] = strconv.Itoa(attempts)
	out[DeadStreamField] = msg.Stream
	out[DeadIDField] = msg.ID
	out[DeadAtField] = now.UTC().Format(time.RFC3339Nano)
	return out
}
