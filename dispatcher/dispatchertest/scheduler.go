package dispatchertest

import (
	"context"
	"sync"

	"github.com/streamfx/streamfx/dispatcher"
)

// Scheduler is a dispatcher.RetryScheduler that records every request and
// returns Err. The zero value is ready to use; it is safe for concurrent use,
// except that Err must be set before the first call.
type Scheduler struct {
	// Err is returned by every call to ScheduleRetry; when it is not nil the
	// request is not recorded, as a scheduler that failed has scheduled
	// nothing.
	Err error

	mu   sync.Mutex
	reqs []dispatcher.RetryRequest
}

// ScheduleRetry records a copy of req (its Message copied too) unless Err is
// set, and returns Err.
func (s *Scheduler) ScheduleRetry(_ context.Context, req dispatcher.RetryRequest) error {
	if s.Err != nil {
		return s.Err
	}
	req.Message = clone(req.Message)
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return nil
}

// Requests returns the recorded requests in the order they were made.
func (s *Scheduler) Requests() []dispatcher.RetryRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]dispatcher.RetryRequest, len(s.reqs))
	for i, r := range s.reqs {
		r.Message = clone(r.Message)
		out[i] = r
	}
	return out
}
