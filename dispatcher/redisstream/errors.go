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

// ErrNoCorrelationID is returned by Publisher.Reply when the request message
// has no correlation_id field.
var ErrNoCorrelationID = errors.New("redisstream: message has no correlation_id")
