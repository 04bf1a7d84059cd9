package inspect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// deadPage is how many dead letters one XRANGE reads.
const deadPage = 500

// errStop ends a scanDead early without an error.
var errStop = errors.New("inspect: stop")

// DeadLetters returns the dead letters of deadStream that f selects, oldest
// first, at most limit of them (all when limit <= 0). A dead-letter stream
// that does not exist holds none. A bad filter returns an error wrapping
// ErrInvalidFilter.
func (in *Inspector) DeadLetters(ctx context.Context, deadStream string, f Filter, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := in.scanDead(ctx, deadStream, f, func(page []DeadLetter) error {
		for _, d := range page {
			out = append(out, d)
			if limit > 0 && len(out) >= limit {
				return errStop
			}
		}
		return nil
	})
	return out, err
}

// DeadLetter returns the dead letter id of deadStream, or an error wrapping
// ErrNoDeadLetter.
func (in *Inspector) DeadLetter(ctx context.Context, deadStream, id string) (DeadLetter, error) {
	list, err := in.DeadLetters(ctx, deadStream, Filter{IDs: []string{id}}, 1)
	if err != nil {
		return DeadLetter{}, err
	}
	if len(list) == 0 {
		return DeadLetter{}, fmt.Errorf("%w: %s in %s", ErrNoDeadLetter, id, deadStream)
	}
	return list[0], nil
}

// scanDead passes the dead letters of deadStream that f selects to fn, a page
// at a time in ID order. fn returning errStop ends the scan without error.
func (in *Inspector) scanDead(ctx context.Context, deadStream string, f Filter, fn func([]DeadLetter) error) error {
	m, err := f.compile(time.Now())
	if err != nil {
		return err
	}
	next := in.pager(ctx, deadStream, f.IDs)
	for {
		msgs, more, err := next()
		if err != nil {
			return fmt.Errorf("inspect: read %s: %w", deadStream, err)
		}
		var page []DeadLetter
		for _, msg := range msgs {
			if d := decodeDeadLetter(deadStream, msg); m.match(d) {
				page = append(page, d)
			}
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				if errors.Is(err, errStop) {
					return nil
				}
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// pager returns a function that reads the next page of deadStream: the given
// IDs in one pipelined round trip, or else the whole stream in pages of
// deadPage entries.
func (in *Inspector) pager(ctx context.Context, deadStream string, ids []string) func() ([]redis.XMessage, bool, error) {
	if len(ids) > 0 {
		return func() ([]redis.XMessage, bool, error) {
			cmds := make([]*redis.XMessageSliceCmd, len(ids))
			_, _ = in.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i, id := range ids {
					cmds[i] = p.XRange(ctx, deadStream, id, id)
				}
				return nil
			})
			var out []redis.XMessage
			for _, c := range cmds {
				msgs, err := c.Result()
				if err != nil {
					return nil, false, err
				}
				out = append(out, msgs...)
			}
			return out, false, nil
		}
	}
	start := "-"
	return func() ([]redis.XMessage, bool, error) {
		msgs, err := in.rdb.XRangeN(ctx, deadStream, start, "+", deadPage).Result()
		if err != nil {
			return nil, false, err
		}
		if len(msgs) > 0 {
			start = "(" + msgs[len(msgs)-1].ID
		}
		return msgs, len(msgs) == deadPage, nil
	}
}
