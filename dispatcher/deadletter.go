package dispatcher

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
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

// WriteDeadLetters appends one dead-letter entry per failure to stream, in one
// pipelined round trip. It returns an error if any entry could not be written;
// the caller must then not acknowledge msg.
func WriteDeadLetters(ctx context.Context, rdb redis.Cmdable, stream string, msg *Message, failures []RouteFailure, attempts int) error {
	if len(failures) == 0 {
		return nil
	}
	now := time.Now()
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, f := range failures {
			p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: DeadLetterFields(msg, f, attempts, now)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dispatcher: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, err)
	}
	for _, c := range cmds {
		if c.Err() != nil {
			return fmt.Errorf("dispatcher: dead-letter %s/%s to %s: %w", msg.Stream, msg.ID, stream, c.Err())
		}
	}
	return nil
}
