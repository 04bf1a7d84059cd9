package redisstream

import "errors"

// ErrInvalidConfig is returned by NewProcessor when the ProcessorConfig
// cannot be used (no stream, no group, a negative value), and by the
// Publisher when PublisherConfig sets both MaxLen and MinID.
var ErrInvalidConfig = errors.New("redisstream: invalid config")

// ErrTooManyDeliveries is the dead-letter reason of an entry whose delivery
// count already exceeds ProcessorConfig.MaxDeliveries when it is reclaimed
// (for example because handling it crashed the process each time): it is
// dead-lettered without running any handler.
var ErrTooManyDeliveries = errors.New("redisstream: too many deliveries")

// ErrMessageTooLarge is the dead-letter reason of an entry larger than
// ProcessorConfig.MaxMessageBytes: it is dead-lettered without running any
// handler.
var ErrMessageTooLarge = errors.New("redisstream: message too large")

// ErrClosed is returned by Processor.Start after Shutdown has been called.
var ErrClosed = errors.New("redisstream: processor is shut down")

// ErrReplyTimeout is returned by Publisher.Request when no reply arrived
// within the timeout.
var ErrReplyTimeout = errors.New("redisstream: no reply before timeout")

// ErrNoCorrelationID is returned by Publisher.Reply when the request message
// has no correlation_id field, and by Publisher.Request when its DedupID
// names an event that has none (one published with Publish).
var ErrNoCorrelationID = errors.New("redisstream: message has no correlation_id")

// ErrRequestGone is returned by Publisher.Request when its DedupID names a
// request entry that is no longer in the stream (trimmed or deleted): its
// reply cannot be awaited.
var ErrRequestGone = errors.New("redisstream: the request entry of the dedup key is gone")
