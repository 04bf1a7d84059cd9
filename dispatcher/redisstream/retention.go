package redisstream

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// retentionTimeout bounds one trim of one stream.
const retentionTimeout = 5 * time.Second

// retention is the component that keeps the Processor's streams short: every
// ProcessorConfig.RetentionInterval it removes from each stream the entries
// that every consumer group of the stream has acknowledged. The rule is
// inspect.Inspector.Trim's, the one `streamfx trim` and the dashboard use,
// run with XTRIM MINID ~ (Redis removes whole macro nodes only, so it may
// keep some acknowledged entries, never an unacknowledged one).
type retention struct {
	in       *inspect.Inspector
	streams  []string
	interval time.Duration
	log      *zap.Logger
}

// newRetention returns the retention of a Processor of config c, or nil
// when c.RetentionInterval is zero (off).
func newRetention(rdb redis.UniversalClient, c ProcessorConfig, log *zap.Logger) *retention {
	if c.RetentionInterval <= 0 {
		return nil
	}
	in, _ := inspect.New(rdb, inspect.Config{}) // errs only for a nil client
	return &retention{in: in, streams: c.Streams, interval: c.RetentionInterval, log: log}
}

// run trims every interval until ctx ends.
func (t *retention) run(ctx context.Context) {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, s := range t.streams {
			t.trim(ctx, s)
		}
	}
}

// trim trims one stream and logs what happened: a removal at debug, a
// failure at warn (the next tick tries again). A stream or group that does
// not exist (yet) is not a failure: the reader recreates it.
func (t *retention) trim(ctx context.Context, stream string) {
	ctx, cancel := context.WithTimeout(ctx, retentionTimeout)
	defer cancel()
	res, err := t.in.Trim(ctx, stream, inspect.TrimOptions{Approx: true})
	switch {
	case err == nil:
		if res.Removed > 0 {
			t.log.Debug("streamfx: retention trimmed acknowledged entries", zap.String("stream", stream),
				zap.Int64("removed", res.Removed), zap.String("below", res.MinID), zap.Int64("groups", res.Groups))
		}
	case errors.Is(err, inspect.ErrNoStream), errors.Is(err, inspect.ErrNoGroup), ctx.Err() != nil:
	default:
		t.log.Warn("streamfx: retention could not trim", zap.String("stream", stream), zap.Error(err))
	}
}
