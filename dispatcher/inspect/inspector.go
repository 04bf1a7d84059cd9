package inspect

import (
	"cmp"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

const (
	// defaultLagCountLimit bounds the entries counted when Redis cannot
	// report a group's lag.
	defaultLagCountLimit = 10000
	// defaultReplayMarkerTTL is how long a replay remembers what it published.
	defaultReplayMarkerTTL = 7 * 24 * time.Hour
)

// Config configures an Inspector. The zero value is valid.
type Config struct {
	// DeadLetterStream names the dead-letter stream of every stream, as
	// redisstream.ProcessorConfig.DeadLetterStream does. If empty,
	// dispatcher.DeadLetterStream(stream) ("<stream>:dead").
	DeadLetterStream string
	// LagCountLimit bounds how many entries Status counts itself when Redis
	// cannot report a group's lag (see GroupStatus.LagSource). If zero,
	// 10000.
	LagCountLimit int64
	// ReplayMarkerTTL is how long Replay remembers, beside the target
	// stream, that it published a source entry. A replay interrupted between
	// publishing and removing the dead letter, and run again within this
	// time, publishes nothing the second time. If zero, 7 days.
	ReplayMarkerTTL time.Duration
}

// Inspector reads and repairs streamfx streams for an operator. It is safe
// for concurrent use. The client belongs to the caller: the Inspector never
// closes it.
type Inspector struct {
	rdb redis.UniversalClient
	cfg Config
}

// New returns an Inspector that works through rdb. It returns an error for a
// nil client or a negative setting.
func New(rdb redis.UniversalClient, cfg Config) (*Inspector, error) {
	if rdb == nil {
		return nil, errors.New("inspect: nil redis client")
	}
	if cfg.LagCountLimit < 0 || cfg.ReplayMarkerTTL < 0 {
		return nil, errors.New("inspect: negative LagCountLimit or ReplayMarkerTTL")
	}
	cfg.LagCountLimit = cmp.Or(cfg.LagCountLimit, defaultLagCountLimit)
	cfg.ReplayMarkerTTL = cmp.Or(cfg.ReplayMarkerTTL, defaultReplayMarkerTTL)
	return &Inspector{rdb: rdb, cfg: cfg}, nil
}

// DeadLetterStream returns the dead-letter stream of stream under the
// Inspector's Config.
func (in *Inspector) DeadLetterStream(stream string) string {
	if in.cfg.DeadLetterStream != "" {
		return in.cfg.DeadLetterStream
	}
	return dispatcher.DeadLetterStream(stream)
}
