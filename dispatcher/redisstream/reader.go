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

// read is the reader of one stream: it drains this consumer's own pending
// entries (ID "0"), then reads new ones (">") until reading stops. It queues
// each batch for the handler workers and reads the next one while they work
// through the queue; a stuck handler holds one worker and never the reader.
func (r *run) read(stream string, backlog *backlogReader) {
	defer r.loops.Done()
	cursor := "0" // own pending entries first
	bo := retryBackoff()
	for r.readCtx.Err() == nil {
		batch, err := r.readBatch(stream, cursor, r.cfg.Block)
		if err == nil && cursor != ">" && len(batch.entries) > 0 {
			err = r.takeOver(stream, batch.entries) // delivered before: count them
		}
		if err != nil {
			if !r.readFailed(stream, err, &bo) {
				return
			}
			continue
		}
		r.health.ok("read " + stream)
		bo.Reset()
		r.acks.add(stream, batch.deleted...)
		if cursor == ">" {
			if len(batch.entries) == r.cfg.BatchSize && r.readBound() {
				backlog.wake() // more are likely waiting: read them meanwhile
			}
			r.dispatch(stream, batch.entries)
			continue
		}
		if len(batch.entries) == 0 && len(batch.deleted) == 0 {
			cursor = ">"
			continue
		}
		cursor = batch.last
	}
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
	id       string
	values   map[string]any
	attempts int
}

// readBatch reads one batch. With cursor ">" it reads new entries, each
// delivered for the first time, blocking up to block while there are none.
// Such a read must block, if only for a moment: go-redis retries a command
// without BLOCK that timed out, and a retried ">" read would leave the batch
// Redis delivered to the lost reply pending, unseen until it is reclaimed.
// Otherwise it reads this consumer's pending entries after cursor, without
// blocking (a retry reads the same entries); their delivery counts are left
// to takeOver.
func (r *run) readBatch(stream, cursor string, block time.Duration) (batch, error) {
	args := &redis.XReadGroupArgs{
		Group: r.cfg.Group, Consumer: r.cfg.Consumer, Streams: []string{stream, cursor},
		Count: int64(r.cfg.BatchSize), Block: block,
	}
	if cursor != ">" {
		args.Block = -1 // no BLOCK argument
	}
	res, err := r.p.rdb.XReadGroup(r.readCtx, args).Result()
	if errors.Is(err, redis.Nil) {
		r.p.markRead()
		return batch{}, nil
	}
	if err != nil {
		return batch{}, err
	}
	r.p.markRead()
	var msgs []redis.XMessage
	if len(res) > 0 {
		msgs = res[0].Messages
	}
	return toBatch(msgs), nil
}

// toBatch converts messages, each with one delivery so far. A message with
// no fields is an entry deleted from the stream while it was pending.
func toBatch(msgs []redis.XMessage) batch {
	var b batch
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

// readFailed handles a failed read and reports whether to go on reading.
func (r *run) readFailed(stream string, err error, bo *backoff.Retry) bool {
	if r.readCtx.Err() != nil {
		return false
	}
	switch {
	case isNoGroup(err) || isUnblocked(err):
		r.p.log.Warn("consumer group or stream missing; recreating it", zap.String("stream", stream), zap.Error(err))
		cerr := r.p.createGroup(r.readCtx, stream)
		if cerr == nil {
			return true
		}
		if isWrongType(cerr) {
			r.fail(cerr)
			return false
		}
		r.health.fail("read "+stream, "xgroup create "+stream, cerr)
	case isWrongType(err):
		r.fail(fmt.Errorf("redisstream: read stream %s: %w", stream, err))
		return false
	default:
		r.health.fail("read "+stream, "xreadgroup "+stream, err)
	}
	return bo.Wait(r.readCtx)
}

// dispatch claims entries for this process (entries it already holds are
// skipped) and queues them for the handler workers.
func (r *run) dispatch(stream string, entries []entry) {
	r.queue(stream, r.flights.claim(stream, entries))
}

// queue hands claimed entries, a batch of stream, to the scheduler, waiting
// while it holds as much as it takes. Claimed entries are left alone by the
// reclaim loop while they wait. When reading stops, entries not yet taken
// are given back: they stay pending (see handBack).
func (r *run) queue(stream string, entries []entry) {
	if len(entries) == 0 {
		return
	}
	u := job{stream: stream, entries: entries}
	if r.readCtx.Err() != nil { // select below picks at random when both are ready
		r.giveBack(u)
		return
	}
	select {
	case r.sched.in <- u:
	case <-r.readCtx.Done():
		r.giveBack(u)
	}
}

// deliveryCounts sets the attempts of entries (pending for this consumer, in
// ID order) from XPENDING's delivery counts, one call for the whole batch
// unless other pending entries of this consumer lie in between. It returns
// the entries still pending for this consumer and those that are not any
// more: acked, or claimed by another consumer, since they were read.
func (r *run) deliveryCounts(ctx context.Context, stream string, entries []entry) (live, gone []entry, err error) {
	want := make(map[string]int, len(entries))
	for i, e := range entries {
		want[e.id] = i
	}
	start, end := entries[0].id, entries[len(entries)-1].id
	count := int64(2*len(entries) + r.cfg.Concurrency)
	for len(want) > 0 {
		pend, err := r.p.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: stream, Group: r.cfg.Group, Start: start, End: end,
			Count: count, Consumer: r.cfg.Consumer,
		}).Result()
		if err != nil {
			return nil, nil, err
		}
		for _, pe := range pend {
			if i, ok := want[pe.ID]; ok {
				entries[i].attempts = int(pe.RetryCount)
				delete(want, pe.ID)
			}
		}
		if int64(len(pend)) < count {
			break // the rest is not pending for this consumer any more
		}
		start = "(" + pend[len(pend)-1].ID
	}
	if len(want) == 0 {
		return entries, nil, nil
	}
	for _, e := range entries {
		if _, missing := want[e.id]; missing {
			gone = append(gone, e)
		} else {
			live = append(live, e)
		}
	}
	return live, gone, nil
}
