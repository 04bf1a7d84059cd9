package dispatcher

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// BatchError is the error a BatchHandler returns to fail some messages of
// a batch and not the others. A handler collects the failures and returns
// Err:
//
//	var failed dispatcher.BatchError
//	for i, msg := range msgs {
//		if err := insert(msg); err != nil {
//			failed.Fail(i, err)
//		}
//	}
//	return failed.Err()
//
// It may also be wrapped (fmt.Errorf("...: %w", failed.Err())): the
// Dispatcher finds it with errors.As. An index outside the batch is a bug of
// the handler: then every message of the batch fails.
type BatchError struct {
	// Items lists the failed messages by their index in the batch.
	Items []ItemError
}

// ItemError is the error of one message of a batch.
type ItemError struct {
	// Index is the message's position in the slice passed to HandleBatch.
	Index int
	// Err is the message's error; Permanent marks it as not worth retrying.
	Err error
}

// Fail records err as the error of the message at index i. A nil err is
// ignored.
func (e *BatchError) Fail(i int, err error) {
	if err != nil {
		e.Items = append(e.Items, ItemError{Index: i, Err: err})
	}
}

// Err returns e, or nil if no message failed.
func (e *BatchError) Err() error {
	if e == nil || len(e.Items) == 0 {
		return nil
	}
	return e
}

// Error lists the failed messages and their errors.
func (e *BatchError) Error() string {
	var b strings.Builder
	b.WriteString("dispatcher: ")
	b.WriteString(strconv.Itoa(len(e.Items)))
	b.WriteString(" message(s) of the batch failed")
	for i, it := range e.Items {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; [%d]: %v", it.Index, it.Err)
	}
	return b.String()
}

// Unwrap returns the items' errors, so that errors.Is sees through e.
func (e *BatchError) Unwrap() []error {
	out := make([]error, len(e.Items))
	for i, it := range e.Items {
		out[i] = it.Err
	}
	return out
}

// SplitBatchError spreads err, the error HandleBatch returned for a batch
// of n messages, over them as the Dispatcher does: errs[i] is message i's
// error. It returns nil when every message succeeded. Middleware that
// observes batches (metrics, logs) uses it to tell which messages failed.
func SplitBatchError(err error, n int) (errs []error) {
	if err == nil {
		return nil
	}
	errs = make([]error, n)
	var be *BatchError
	if !errors.As(err, &be) {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	failed := false
	for _, it := range be.Items {
		if it.Index < 0 || it.Index >= n {
			bad := fmt.Errorf("dispatcher: BatchError names message %d of a batch of %d: %w", it.Index, n, err)
			for i := range errs {
				errs[i] = bad
			}
			return errs
		}
		switch {
		case it.Err == nil:
		case errs[it.Index] == nil:
			errs[it.Index], failed = it.Err, true
		default:
			errs[it.Index] = errors.Join(errs[it.Index], it.Err)
		}
	}
	if !failed {
		return nil
	}
	return errs
}
