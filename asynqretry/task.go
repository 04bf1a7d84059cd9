package asynqretry

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"github.com/streamfx/streamfx/dispatcher"
)

// TaskType is the asynq task type of a route retry. Its payload is the JSON
// encoding of one failed route run: stream, entry ID, event type, raw fields,
// route name, run number and last error.
const TaskType = "streamfx:retry"

// taskIDPrefix starts every retry task ID.
const taskIDPrefix = "streamfx:retry:"

// maxErrorBytes bounds the last error kept in a task payload.
const maxErrorBytes = 2048

// payload is the body of a TaskType task. Attempt is the number of runs of
// the route so far, the failed one included: the task runs run Attempt+1.
type payload struct {
	Stream  string            `json:"stream"`
	Group   string            `json:"group,omitempty"`
	ID      string            `json:"id"`
	Type    string            `json:"type,omitempty"`
	Fields  map[string]string `json:"fields"`
	Route   string            `json:"route"`
	Attempt int               `json:"attempt"`
	Error   string            `json:"error,omitempty"`
}

// TaskID returns the asynq task ID of the retry that follows run number
// attempt of route for entry id of stream. It is a hash, so any stream or
// route name gives a short, unambiguous ID; scheduling the same retry twice
// yields the same ID, which asynq refuses as a duplicate while the first task
// exists. The first retry, scheduled from the stream by ScheduleRetry, uses
// attempt 0 whatever the delivery count, and is kept for Config.DedupWindow
// after it completed: a redelivered message cannot start a second retry
// chain of a route. The worker schedules the next runs with their run
// numbers.
func TaskID(stream, id, route string, attempt int) string {
	h := sha256.New()
	for _, part := range []string{stream, id, route, strconv.Itoa(attempt)} {
		// Length-prefix every part so that no two tuples hash the same input.
		h.Write([]byte(strconv.Itoa(len(part)) + ":" + part))
	}
	return taskIDPrefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// newPayload describes the failed run attempt of route for msg.
func newPayload(msg *dispatcher.Message, route string, attempt int, err error) payload {
	p := payload{Stream: msg.Stream, Group: msg.ConsumerGroup, ID: msg.ID, Type: msg.Type, Fields: msg.Fields, Route: route, Attempt: attempt}
	if err != nil {
		p.Error = truncate(err.Error(), maxErrorBytes)
	}
	return p
}

// taskID returns the ID of the task that carries p.
func (p payload) taskID() string { return TaskID(p.Stream, p.ID, p.Route, p.Attempt) }

// task encodes p as an asynq task.
func (p payload) task() (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("asynqretry: encode retry of %s/%s route %s: %w", p.Stream, p.ID, p.Route, err)
	}
	return asynq.NewTask(TaskType, b), nil
}

// message rebuilds the message for the next run of the route.
func (p payload) message() *dispatcher.Message {
	msg := dispatcher.NewMessage(p.Stream, p.ID, p.Fields)
	if msg.Type == "" {
		msg.Type = p.Type
	}
	msg.ConsumerGroup = p.Group
	msg.Attempt = p.Attempt + 1
	return msg
}

// decodePayload decodes a task body. The error wraps ErrMalformedTask and
// asynq.SkipRetry.
func decodePayload(b []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("%w: %w: %w", ErrMalformedTask, asynq.SkipRetry, err)
	}
	if p.Stream == "" || p.ID == "" || p.Route == "" || p.Attempt < 1 {
		return p, fmt.Errorf("%w: %w: stream %q, id %q, route %q, attempt %d",
			ErrMalformedTask, asynq.SkipRetry, p.Stream, p.ID, p.Route, p.Attempt)
	}
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	return p, nil
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
