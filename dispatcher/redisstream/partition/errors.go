package partition

import "errors"

// ErrInvalid is returned by New and NewCoordinator when their arguments or
// configuration cannot be used.
var ErrInvalid = errors.New("partition: invalid config")

// ErrLeaseLost is returned by Coordinator.Ack and Coordinator.Append when
// the lease they were given no longer holds in Redis (it expired, or
// another consumer holds the partition now): nothing was acknowledged or
// appended.
var ErrLeaseLost = errors.New("partition: lease lost")

// ErrClosed is returned by Coordinator.Start after Shutdown.
var ErrClosed = errors.New("partition: coordinator is shut down")
