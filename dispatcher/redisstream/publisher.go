package redisstream

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

const defaultReplyTTL = 60 * time.Second

// PublisherConfig configures a Publisher. The zero value is valid: no
// trimming, replies kept for 60s.
type PublisherConfig struct {
	// MaxLen, if > 0, trims each stream written to about MaxLen entries
	// (XADD MAXLEN ~). Trimming drops the oldest entries whether or not a
	// group has read them.
	MaxLen int64
	// MinID, if set, trims entries with IDs lower than MinID (XADD MINID ~).
	// It cannot be combined with MaxLen.
	MinID string
	// ReplyTTL is how long a reply list lives when nobody reads it. If zero,
	// 60s.
	ReplyTTL time.Duration
}

// Event is one event of a batch publish.
type Event struct {
	// Type is the event type, written to the "type" field.
	Type string
	// Payload is nil, a map with string keys, or anything that marshals to a
	// JSON object; see dispatcher.EncodeFields.
	Payload any
}

// Publisher writes events to streams in the wire format of
// codex_platform.streams, and does request/reply over them. It is safe for
// concurrent use. The Redis client belongs to the caller: the Publisher never
// closes it.
type Publisher struct {
	rdb    redis.UniversalClient
	cfg    PublisherConfig
	fields func(ctx context.Context, fields []string) []string // WithFields, or nil
}

// NewPublisher returns a Publisher writing through rdb. An invalid cfg (both
// MaxLen and MinID set) makes every publish fail with ErrInvalidConfig.
// opts add code hooks (WithFields); a nil option panics.
func NewPublisher(rdb redis.UniversalClient, cfg PublisherConfig, opts ...PublisherOption) *Publisher {
	cfg.ReplyTTL = orDefault(cfg.ReplyTTL, defaultReplyTTL)
	p := &Publisher{rdb: rdb, cfg: cfg}
	for _, o := range opts {
		if o == nil {
			panic("redisstream: nil PublisherOption passed to NewPublisher")
		}
		o.apply(p)
	}
	return p
}

// Publish appends one event to stream and returns its entry ID.
func (p *Publisher) Publish(ctx context.Context, stream, eventType string, payload any) (string, error) {
	args, err := p.xaddArgs(ctx, stream, eventType, payload)
	if err != nil {
		return "", err
	}
	id, err := p.rdb.XAdd(ctx, args).Result()
	if err != nil {
		return "", fmt.Errorf("redisstream: publish %s to %s: %w", eventType, stream, err)
	}
	return id, nil
}

// PublishBatch appends events to stream in one pipelined round trip and
// returns their entry IDs in order. Every event is encoded before anything is
// sent, so an encoding error publishes nothing. If Redis fails part of the
// batch, the error names the first failed event, and the IDs of the events
// that were written are still returned (empty for the others).
func (p *Publisher) PublishBatch(ctx context.Context, stream string, events []Event) ([]string, error) {
	all := make([]redis.XAddArgs, len(events)) // one allocation for the batch
	for i, e := range events {
		fields, err := p.encode(ctx, e.Type, e.Payload)
		if err != nil {
			return nil, fmt.Errorf("redisstream: publish batch event %d: %w", i, err)
		}
		p.fillXAdd(&all[i], stream, fields)
	}
	if len(all) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StringCmd, len(all))
	_, _ = p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range all {
			cmds[i] = pipe.XAdd(ctx, &all[i])
		}
		return nil
	})
	ids := make([]string, len(cmds))
	var first error
	for i, c := range cmds {
		ids[i] = c.Val()
		if c.Err() != nil && first == nil {
			first = fmt.Errorf("redisstream: publish batch event %d (%s) to %s: %w", i, events[i].Type, stream, c.Err())
		}
	}
	return ids, first
}

// xaddArgs encodes one event into XADD arguments with the configured trim
// and the Fields hook applied.
func (p *Publisher) xaddArgs(ctx context.Context, stream, eventType string, payload any) (*redis.XAddArgs, error) {
	fields, err := p.encode(ctx, eventType, payload)
	if err != nil {
		return nil, err
	}
	return p.xadd(stream, fields), nil
}

// encode checks the configuration and encodes one event into stream fields
// with the Fields hook applied.
func (p *Publisher) encode(ctx context.Context, eventType string, payload any) ([]string, error) {
	if p.cfg.MaxLen > 0 && p.cfg.MinID != "" {
		return nil, fmt.Errorf("%w: MaxLen and MinID are both set", ErrInvalidConfig)
	}
	fields, err := dispatcher.EncodeFields(eventType, payload)
	if err != nil {
		return nil, err
	}
	return p.hook(ctx, fields), nil
}

// hook applies the WithFields hook to fields, if set.
func (p *Publisher) hook(ctx context.Context, fields []string) []string {
	if p.fields == nil {
		return fields
	}
	return p.fields(ctx, fields)
}

// fillXAdd sets args to write fields to stream with the configured trim.
// Values stay a []string: go-redis boxes each string as it copies them, and
// a []any built here would cost the same boxing plus one more slice.
func (p *Publisher) fillXAdd(args *redis.XAddArgs, stream string, fields []string) {
	*args = redis.XAddArgs{Stream: stream, Values: fields}
	if p.cfg.MaxLen > 0 {
		args.MaxLen, args.Approx = p.cfg.MaxLen, true
	} else if p.cfg.MinID != "" {
		args.MinID, args.Approx = p.cfg.MinID, true
	}
}

// xadd returns XADD arguments writing fields to stream with the configured
// trim.
func (p *Publisher) xadd(stream string, fields []string) *redis.XAddArgs {
	args := &redis.XAddArgs{}
	p.fillXAdd(args, stream, fields)
	return args
}
