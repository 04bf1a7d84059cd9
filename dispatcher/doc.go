// Package dispatcher routes Redis Stream messages to handlers by their "type"
// field. It is the framework-agnostic core of streamfx: it imports neither fx
// nor asynq, and does no I/O. The Redis side (the consumer-group Processor
// and the Publisher) lives in package redisstream; ready-made middleware in
// package middleware; test helpers in package dispatchertest.
//
// # Model
//
// A stream entry is a flat set of fields. The field "type" names the event; the
// other fields are the payload, encoded as the Python package
// codex_platform.streams writes them: a string is stored as-is, any other value
// as "json:" followed by compact JSON (see EncodeValue and DecodeValue). A Go
// service and a Python service can share one stream. Numbers decode as
// json.Number, so an integer above 2^53 keeps every digit. An Encoder works
// out how to write each struct type once, where the package functions do it
// on every call.
//
// A Handler handles one Message. Routes bind an event type to a Handler, with
// an optional filter, logical group and stable name. A Router collects routes
// in a feature package; a Dispatcher includes routers (only the routes of the
// enabled groups, if configured) and runs, for each message, every matching
// route in registration order. Mistakes in wiring (an empty type, a nil
// handler, a duplicate route name) panic at registration with a message that
// starts with "dispatcher:"; Dispatcher.Add returns them as errors instead.
//
// # Middleware order
//
// A route's handler is wrapped, from the outside in, by Config.Middleware,
// then the middleware of its Router (Router.Use), then its own
// (WithMiddleware); in each list the first is outermost. The Dispatcher
// recovers panics around all of them.
//
// # Batch routes
//
// A batch route (Dispatcher.OnBatch, Router.OnBatch, or a Route with Batch
// set) gets many messages of its type, read from one stream, in one
// BatchHandler call: up to MaxBatch messages, or fewer once the first one
// waited MaxWait. The engine hands such a group to Dispatcher.ProcessBatch,
// which runs the type's plain routes once per message and each batch route
// once, and returns an Outcome per message: a BatchError fails only the
// messages it names, so only those are retried or dead-lettered and the
// others are acknowledged. A batch runs inside Config.BatchMiddleware; a
// message of a batch route handled alone (a retry) runs as a batch of one
// through the route's Handler and its per-message middleware.
//
// # Delivery
//
// Delivery is at-least-once: a message can be handled more than once (after a
// crash, a redelivery or a retry). Handlers must be idempotent.
//
// Dispatcher.Process returns an Outcome: Ack when every route succeeded,
// Retry to leave the message pending, DeadLetter with the failed routes. A
// route error either schedules a retry of that route alone (with a
// RetryScheduler) or leaves the message pending so that the Processor
// redelivers it. A Permanent error, a decode error or an exhausted retry
// budget sends the message to the dead-letter stream. A message without a
// type, or with a type no route handles, is acknowledged and reported in
// Outcome.Unroutable, or dead-lettered if Config.DeadLetterUnroutable is set.
// Nothing is silently dropped.
package dispatcher
