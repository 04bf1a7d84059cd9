package dispatcher

import (
	"errors"
	"fmt"
)

// ErrNoType is the reason recorded for a message that has no "type" field.
// The Dispatcher acknowledges such a message, or dead-letters it when
// Config.DeadLetterUnroutable is set.
var ErrNoType = errors.New("dispatcher: message has no type")

// ErrNoRoute is the reason recorded for a message whose type no mounted route
// handles. It is treated like ErrNoType.
var ErrNoRoute = errors.New("dispatcher: no route for message type")

// ErrRouteNotFound is returned by Dispatcher.RunRoute when no mounted route has
// the requested name (the route was removed, renamed or is in a group that is
// not enabled). A retry of such a route cannot succeed: it is dead-lettered.
var ErrRouteNotFound = errors.New("dispatcher: route not found")

// ErrPanic wraps the value of a panic recovered from a handler. The route that
// panicked fails with an error for which errors.Is(err, ErrPanic) is true.
var ErrPanic = errors.New("dispatcher: handler panicked")

// ErrDecode is wrapped by every error the codec returns for a field it cannot
// decode. Decode errors are permanent: retrying cannot fix the payload.
var ErrDecode = errors.New("dispatcher: cannot decode field")

// ErrEncode is wrapped by every error EncodeValue and EncodeFields return: a
// NaN or infinite float, a value encoding/json cannot marshal, a payload that
// is not a JSON object, an empty event type.
var ErrEncode = errors.New("dispatcher: cannot encode")

// permanentError marks an error as not worth retrying.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying: the failed route is dead-lettered
// at once instead of being retried or left pending. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	if IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked with
// Permanent or is a decode error.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p) || errors.Is(err, ErrDecode)
}

// fieldError is a codec error that names the offending field.
func fieldError(field string, err error) error {
	return fmt.Errorf("%w %q: %w", ErrDecode, field, err)
}
