// Package dispatchertest provides utilities for testing handlers and
// dispatchers without Redis, in the spirit of net/http/httptest.
//
// NewMessage builds a Message the way a publisher would write it, through the
// real codec; Recorder is a Handler that records what it saw; Scheduler is a
// RetryScheduler that records what it was asked to schedule; Run dispatches
// messages in memory and returns the outcome of each.
package dispatchertest
