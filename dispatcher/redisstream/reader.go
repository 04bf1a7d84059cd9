package redisstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/internal/backoff"
)

// reader is the stage that reads one stream: it drains this consumer's own
// pending entries (ID "0"), then reads new ones (">") in batches, and sends
// each batch to the scheduler through the feed, reading the next one while
// the workers run it; a stuck handler holds one worker and never the
// reader.
type reader struct {
	stream      string
	rdb         redis.UniversalClient
	cfg         ProcessorConfig
	log         *zap.Logger
	feed        *feed
	health      *health
	markRead    func()                                         // records a successful read (Processor.LastRead)
	createGroup func(ctx context.Context, stream string) error // recreates a missing group
}

// run reads until ctx ends, then returns nil, or until a fatal error (the
// key is not a stream), which it returns.
func (r *reader) run(ctx context.Context) error {
	cursor := "0" // own pending entries first
	bo := retryBackoff()
	for ctx.Err() == nil {
		if !r.cfg.leased() { // a lease lapsed (this process paused?): read nothing until the Coordinator decides
			select {
			case <-ctx.Done():
			case <-time.After(r.cfg.Block):
			}
			continue
		}
		b, err := r.readBatch(ctx, cursor, r.cfg.Block)
		if err == nil && cursor != ">" && len(b.entries) > 0 {
			err = r.feed.takeOver(ctx, r.stream, b.entries) // delivered before: count them
		}
		if err != nil {
			if err := r.failed(ctx, err, &bo); err != nil {
				return err
			}
			continue
		}
		r.health.ok("read " + r.stream)
		bo.Reset()
		r.feed.ackDeleted(ctx, r.stream, b.deleted)
		switch {
		case cursor == ">":
			r.feed.fresh(ctx, r.stream, b.entries)
		case len(b.entries) == 0 && len(b.deleted) == 0:
			cursor = ">"
		default:
			cursor = b.last
		}
	}
	return nil
}

// batch is what one read or claim returned.
type batch struct {
	entries []entry  // entries to handle, with their delivery counts
	deleted []string // pending IDs whose entries were deleted from the stream
	last    string   // the last ID returned, deleted ones included
}

// entry is one stream entry with its delivery count. Its values are
// converted to string fields by the handler worker (see toFields), off the
// reader's path.
type entry struct {
	id        string
	values    map[string]any
	attempts  int
	routes    []string // in a job run in place: the routes to run again, nil for all
	completed []string // idempotent routes that completed before (see lookupCompleted)
}

// toBatch converts messages, each with one delivery so far. A message with
// no fields is an entry deleted from the stream while it was pending.
func toBatch(msgs []redis.XMessage) batch {
	b := batch{entries: make([]entry, 0, len(msgs))}
	for _, m := range msgs {
		b.last = m.ID
		if m.Values == nil {
			b.deleted = append(b.deleted, m.ID)
			continue
		}
		b.entries = append(b.entries, entry{id: m.ID, values: m.Values, attempts: 1})
	}
	return b
}

// toFields converts an entry's values to string fields and returns them
// with their size: the sum of the lengths of field names and values.
func toFields(values map[string]any) (fields map[string]string, size int) {
	fields = make(map[string]string, len(values))
	for k, v := range values {
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		fields[k] = s
		size += len(k) + len(s)
	}
	return fields, size
}

// readBatch reads one batch. With cursor ">" it reads new entries, each
// delivered for the first time, blocking up to block while there are none.
// Such a read must block, if only for a moment: go-redis retries a command
// without BLOCK that timed out, and a retried ">" read would leave the batch
// Redis delivered to the lost reply pending, unseen until it is reclaimed.
// Otherwise it reads this consumer's pending entries after cursor, without
// blocking (a retry reads the same entries); their delivery counts are left
// to feed.takeOver.
func (r *reader) readBatch(ctx context.Context, cursor string, block time.Duration) (batch, error) {
	args := &redis.XReadGroupArgs{
		Group: r.cfg.Group, Consumer: r.cfg.Consumer, Streams: []string{r.stream, cursor},
		Count: int64(r.cfg.BatchSize), Block: block,
	}
	if cursor != ">" {
		args.Block = -1 // no BLOCK argument
	}
	res, err := r.rdb.XReadGroup(ctx, args).Result()
	if errors.Is(err, redis.Nil) {
		r.markRead()
		return batch{}, nil
	}
	if err != nil {
		return batch{}, err
	}
	r.markRead()
	var msgs []redis.XMessage
	if len(res) > 0 {
		msgs = res[0].Messages
	}
	return toBatch(msgs), nil
}

// failed handles a failed read: it recreates a missing group, logs an
// outage, and waits the backoff. It returns a fatal error (the key is not a
// stream), or nil to go on reading.
func (r *reader) failed(ctx context.Context, err error, bo *backoff.Retry) error {
	if ctx.Err() != nil {
		return nil
	}
	switch {
	case isNoGroup(err) || isUnblocked(err):
		r.log.Warn("consumer group or stream missing; recreating it", zap.String("stream", r.stream), zap.Error(err))
		cerr := r.createGroup(ctx, r.stream)
		if cerr == nil {
			return nil
		}
		if isWrongType(cerr) {
			return cerr
		}
		r.health.fail("read "+r.stream, "xgroup create "+r.stream, cerr)
	case isWrongType(err):
		return fmt.Errorf("redisstream: read stream %s: %w", r.stream, err)
	default:
		r.health.fail("read "+r.stream, "xreadgroup "+r.stream, err)
	}
	bo.Wait(ctx)
	return nil
}
