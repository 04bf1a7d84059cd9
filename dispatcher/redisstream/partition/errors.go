package partition

import "errors"

// ErrInvalid is returned by New and NewCoordinator when their arguments or
// configuration cannot be used.
var ErrInvalid = errors.New("partition: invalid config")
