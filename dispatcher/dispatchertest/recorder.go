package dispatchertest

import (
	"context"
	"sync"

	"github.com/streamfx/streamfx/dispatcher"
)

// Recorder is a dispatcher.Handler that records a copy of every message it
// handles and returns Err. The zero value is ready to use; it is safe for
// concurrent use, except that Err must be set before the first call.
type Recorder struct {
	// Err is returned by every call to Handle; nil means success.
	Err error

	mu   sync.Mutex
	msgs []*dispatcher.Message
}

// Handle records a copy of msg and returns r.Err.
func (r *Recorder) Handle(_ context.Context, msg *dispatcher.Message) error {
	c := clone(msg)
	r.mu.Lock()
	r.msgs = append(r.msgs, c)
	r.mu.Unlock()
	return r.Err
}

// Messages returns copies of the messages handled so far, in the order
// Handle was called.
func (r *Recorder) Messages() []*dispatcher.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*dispatcher.Message, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = clone(m)
	}
	return out
}

// Len returns how many messages were handled.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Reset forgets the messages recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}
