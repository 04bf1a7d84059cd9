package streamfx

import "errors"

// ErrInvalidConfig is wrapped by every error about a Config that cannot be
// used: returned by Config.Validate, LoadConfig and ConfigFromEnv, and by
// fx.New when Module gets such a Config.
var ErrInvalidConfig = errors.New("streamfx: invalid config")

// ErrDefaultGroupInPartialWorker is returned by Config.Validate when a
// partial worker (Config.RouteGroups is not empty) consumes a stream with
// the consumer group DefaultConsumerGroup. It wraps ErrInvalidConfig too.
var ErrDefaultGroupInPartialWorker = errors.New("streamfx: a partial worker may not use the default consumer group")

// ErrDuplicateRoute is returned through fx.New when two
// contributed routes have the same name.
var ErrDuplicateRoute = errors.New("streamfx: duplicate route name")

// ErrInvalidRoute is returned through fx.New for a
// contributed route that cannot be mounted: no type, no handler, no name, or
// a nil Router.
var ErrInvalidRoute = errors.New("streamfx: invalid route")

// ErrUnknownGroup is returned through fx.New when Config.RouteGroups names
// a route group that no contributed route belongs to (usually a typo: the
// worker would mount nothing for it).
var ErrUnknownGroup = errors.New("streamfx: route group has no routes")

// ErrNoRoutes is returned through fx.New when streams are configured but no
// route is mounted: the processors would acknowledge every message as
// unroutable.
var ErrNoRoutes = errors.New("streamfx: streams configured but no route mounted")

// ErrNoStreams is returned through fx.New when routes are mounted but no
// stream is configured: the routes would never run.
var ErrNoStreams = errors.New("streamfx: routes mounted but no stream configured")

// ErrBadConstructor is returned through fx.New when AsRoute or AsRouter is
// given something other than a constructor of the expected type.
var ErrBadConstructor = errors.New("streamfx: bad constructor")

// ErrProcessorFailed is the error logged when a processor stops on a fatal
// background error; the app is then shut down with a non-zero exit code.
var ErrProcessorFailed = errors.New("streamfx: processor failed")
