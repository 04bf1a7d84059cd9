package dispatcher

import "context"

// Handler handles one stream message.
//
// The contract:
//   - nil: the route succeeded. When every route of a message succeeds, the
//     message is acknowledged.
//   - an error: the route failed. With a RetryScheduler, that route alone is
//     retried later and the message is acknowledged; without one, the message
//     stays pending and is redelivered (every route runs again). After the
//     configured number of attempts it goes to the dead-letter stream.
//   - an error marked with Permanent (or a decode error): the route is not
//     retried; the message goes to the dead-letter stream at once.
//   - a panic: recovered by the Dispatcher and treated as an error that wraps
//     ErrPanic. The other routes still run.
//
// Handle may be called again for the same message (delivery is at-least-once):
// handlers must be idempotent. ctx is cancelled when the processor stops past
// its stop deadline or a per-route timeout expires; a handler that does I/O
// should honour it.
type Handler interface {
	Handle(ctx context.Context, msg *Message) error
}

// HandlerFunc adapts an ordinary function to a Handler.
type HandlerFunc func(ctx context.Context, msg *Message) error

// Handle calls f(ctx, msg).
func (f HandlerFunc) Handle(ctx context.Context, msg *Message) error { return f(ctx, msg) }

// Middleware wraps a Handler with behaviour that runs around it.
type Middleware func(Handler) Handler

// Chain applies middleware to h so that the first one listed is the outermost:
// Chain(h, a, b) handles a message as a(b(h)).
// It panics if a middleware is nil or returns a nil Handler: both are wiring
// mistakes.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		if mw[i] == nil {
			panic("dispatcher: nil Middleware passed to Chain")
		}
		if h = mw[i](h); h == nil {
			panic("dispatcher: Middleware returned a nil Handler")
		}
	}
	return h
}

// Typed adapts a function that takes a decoded payload. Before each call the
// message is decoded into a fresh T with Message.Decode; a decode failure is a
// permanent error (the message goes to the dead-letter stream), fn is not
// called.
func Typed[T any](fn func(ctx context.Context, msg *Message, payload T) error) Handler {
	return HandlerFunc(func(ctx context.Context, msg *Message) error {
		var v T
		if err := msg.Decode(&v); err != nil {
			return Permanent(err)
		}
		return fn(ctx, msg, v)
	})
}
