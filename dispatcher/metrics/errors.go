package metrics

import "errors"

// ErrNilRegisterer is returned by New when the registerer is nil.
var ErrNilRegisterer = errors.New("metrics: nil prometheus.Registerer")

// ErrInvalidConfig is returned by NewLagCollector for a nil client, an empty
// group or no stream.
var ErrInvalidConfig = errors.New("metrics: invalid configuration")
