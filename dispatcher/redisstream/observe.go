package redisstream

import (
	"context"
	"time"
)

// LastRead returns the time of the last successful XREADGROUP of any of the
// Processor's readers (a read that timed out with no entry counts as
// successful), or the zero time before the first one. It is safe for
// concurrent use; health.Recency(p.LastRead, maxAge) of package
// dispatcher/health turns it into a readiness check that fails when the read
// loop is stuck or Redis has been unreachable for longer than maxAge.
func (p *Processor) LastRead() time.Time {
	n := p.lastRead.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// PublisherOption configures a Publisher with a code hook (PublisherConfig
// holds the serialisable settings). See WithFields.
type PublisherOption interface {
	apply(*Publisher)
}

type publisherOptionFunc func(*Publisher)

func (f publisherOptionFunc) apply(p *Publisher) { f(p) }

// WithFields makes the Publisher apply hook to the encoded field/value list
// of every entry Publish, PublishBatch and Request write, with the caller's
// context, and write the list hook returns: it may append pairs or change
// values in place. tracing.AppendFields of package dispatcher/tracing fits,
// to carry the W3C trace context. hook must be safe for concurrent use; a
// nil hook adds nothing. The last WithFields wins.
func WithFields(hook func(ctx context.Context, fields []string) []string) PublisherOption {
	return publisherOptionFunc(func(p *Publisher) { p.fields = hook })
}

// markRead records a successful XREADGROUP.
func (p *Processor) markRead() { p.lastRead.Store(time.Now().UnixNano()) }
