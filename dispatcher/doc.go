// Package dispatcher routes Redis Stream messages to handlers by their "type"
// field and runs the consumer-group loop that feeds them.
//
// It is the framework-agnostic core of streamfx: it imports neither fx nor
// asynq. The pure routing (Message, codec, Handler, Router, Dispatcher) does no
// I/O; the Redis side (Processor, Publisher) is built on go-redis and works with
// any redis.UniversalClient.
//
// # Model
//
// A stream entry is a flat set of fields. The field "type" names the event; the
// other fields are the payload, encoded as the Python package
// codex_platform.streams writes them: a string is stored as-is, any other value
// as "json:" followed by compact JSON. A Go service and a Python service can
// share one stream.
//
// A Handler handles one Message. Routes bind an event type to a Handler, with an
// optional filter, logical group and name. A Router collects routes in a feature
// package; a Dispatcher includes routers and runs, for each message, every
// matching route in registration order.
//
// # Delivery
//
// Delivery is at-least-once: a message can be handled more than once (after a
// crash, a redelivery or a retry). Handlers must be idempotent.
//
// A nil error from every route acknowledges the message. A route error either
// schedules a retry of that route alone (with a RetryScheduler) or leaves the
// message pending so the Processor redelivers it. A Permanent error, a decode
// error or an exhausted retry budget sends the message to the dead-letter
// stream. Nothing is silently dropped.
package dispatcher
