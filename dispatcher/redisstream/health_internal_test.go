package redisstream

import (
	"testing"
	"time"
)

// TestRetryBackoffCap: however long an outage lasts, a loop tries Redis
// again at least once a second, so that consumption resumes within about a
// second of Redis answering again (a 5s cap made it 5.6s).
func TestRetryBackoffCap(t *testing.T) {
	t.Parallel()
	bo := retryBackoff()
	var longest time.Duration
	for range 100 {
		longest = max(longest, bo.Next())
	}
	if longest > time.Second || longest < 500*time.Millisecond {
		t.Errorf("longest delay over 100 failures = %v, want within [500ms, 1s]", longest)
	}
	bo.Reset()
	if d := bo.Next(); d > 75*time.Millisecond {
		t.Errorf("first delay after Reset = %v, want at most 75ms", d)
	}
}
