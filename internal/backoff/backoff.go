// Package backoff is the one backoff of the module: exponential delays with
// jitter, used by the Redis engine's loops (dispatcher/redisstream) and by
// asynqretry's retry delays.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Exponential describes delays that double from Base with each attempt, up
// to Max, each spread by +-Jitter.
type Exponential struct {
	// Base is the delay of the first attempt.
	Base time.Duration
	// Max caps every delay, after the jitter.
	Max time.Duration
	// Jitter spreads each delay by +-Jitter of it (0.2 for +-20%); 0 makes
	// the delays exact.
	Jitter float64
}

// Delay returns the delay after attempt (1 for the first): Base *
// 2^(attempt-1), spread by +-Jitter, capped at Max. An attempt below 1
// counts as 1.
func (e Exponential) Delay(attempt int) time.Duration {
	d := e.Base
	for i := 1; i < attempt && d < e.Max; i++ {
		d *= 2
	}
	if e.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + e.Jitter*(2*rand.Float64()-1)))
	}
	return min(d, e.Max)
}

// Retry counts the failures of a loop since its last success and waits the
// delay of the next attempt. The zero value is not usable: set Exponential.
// It is not safe for concurrent use: each loop has its own.
type Retry struct {
	Exponential
	failures int
}

// Next counts one more failure and returns the delay before the next
// attempt.
func (r *Retry) Next() time.Duration {
	r.failures++
	return r.Delay(r.failures)
}

// Reset starts over after a success.
func (r *Retry) Reset() { r.failures = 0 }

// Wait counts one more failure and sleeps for the next delay; it returns
// false if ctx ended first.
func (r *Retry) Wait(ctx context.Context) bool {
	t := time.NewTimer(r.Next())
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
