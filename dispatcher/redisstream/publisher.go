package redisstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/slotkey"
)

const defaultReplyTTL = 60 * time.Second

// errNoEntryID reports an XADD that returned neither an entry ID nor an
// error.
var errNoEntryID = errors.New("redisstream: XADD returned no entry ID")

// PublisherConfig configures a Publisher. The zero value is valid: no
// trimming, replies kept for 60s, dedup keys kept for 2 minutes.
type PublisherConfig struct {
	// MaxLen, if > 0, trims each stream written to about MaxLen entries
	// (XADD MAXLEN ~). Trimming drops the oldest entries whether or not a
	// group has read them.
	MaxLen int64
	// MinID, if set, trims entries with IDs lower than MinID (XADD MINID ~).
	// It cannot be combined with MaxLen.
	MinID string
	// ReplyTTL is how long a reply list lives when nobody reads it. If zero,
	// 60s; if negative, no TTL is set (the seed's ttl=None): an unread reply
	// then stays in Redis.
	ReplyTTL time.Duration
	// DedupWindow is how long an event's dedup key (Event.DedupID, DedupID)
	// is remembered: within it, publishing again with the same key to the
	// same stream writes nothing and returns the first entry's ID. After it,
	// the key is forgotten and a publish writes again. If zero, 2 minutes.
	DedupWindow time.Duration
}

// Event is one event of a batch publish.
type Event struct {
	// Type is the event type, written to the "type" field.
	Type string
	// Payload is nil, a map with string keys, or anything that marshals to a
	// JSON object; see dispatcher.EncodeFields.
	Payload any
	// DedupID, if not empty, is the event's idempotency key (a UUID, or
	// "order-42:paid"): within PublisherConfig.DedupWindow, a second event
	// with the same DedupID published to the same stream writes nothing,
	// and its ID is the first one's. Retrying a publish whose reply was
	// lost (a timeout, Redis restarted, the connection dropped) with the
	// same DedupIDs then writes each event once.
	//
	// One Lua script looks the keys up and writes the entries, atomically.
	// The keys are fields of one hash per stream and window (see
	// DedupKeyPattern), which expires on its own: a key is remembered for
	// at least DedupWindow and at most twice that, by the publisher's
	// clock (producers whose clocks differ by d see each other's keys for
	// DedupWindow - d). Each key takes about 90 bytes of Redis memory plus
	// its length (measured: 124 bytes for a 36-character UUID in a hash of
	// 10,000 keys, 114 in one of 100,000; see BenchmarkDedupKeyMemory). The
	// guarantee survives a Redis crash only if Redis persists each write
	// before replying (appendfsync always), and a failover only for writes
	// the replica had received.
	DedupID string
}

// Publisher writes events to streams in the wire format of
// codex_platform.streams, and does request/reply over them. It is safe for
// concurrent use. The Redis client belongs to the caller: the Publisher never
// closes it.
//
// Field values are handed to go-redis as *string, which saves an allocation
// per field; a go-redis hook that prints commands shows them as addresses.
type Publisher struct {
	rdb    redis.UniversalClient
	cfg    PublisherConfig
	cfgErr error                                               // why cfg cannot be used, or nil
	trim   []any                                               // the XADD trim arguments of cfg, or none
	fields func(ctx context.Context, fields []string) []string // WithFields, or nil
	enc    dispatcher.Encoder                                  // remembers the payload types written

	windowMS     string        // cfg.DedupWindow in milliseconds, part of the dedup hashes' names
	dedupTTL     string        // two windows in milliseconds, the TTL of a dedup hash
	slotPrefixes slotkey.Cache // key prefixes in the streams' hash slots
}

// NewPublisher returns a Publisher writing through rdb. An invalid cfg (both
// MaxLen and MinID set) makes every publish fail with ErrInvalidConfig.
// opts add code hooks (WithFields); a nil option panics.
func NewPublisher(rdb redis.UniversalClient, cfg PublisherConfig, opts ...PublisherOption) *Publisher {
	cfg.ReplyTTL = cmp.Or(cfg.ReplyTTL, defaultReplyTTL)
	cfg.DedupWindow = cmp.Or(cfg.DedupWindow, defaultDedupWindow)
	p := &Publisher{rdb: rdb, cfg: cfg}
	p.windowMS = strconv.FormatInt(cfg.DedupWindow.Milliseconds(), 10)
	p.dedupTTL = strconv.FormatInt(2*cfg.DedupWindow.Milliseconds(), 10)
	switch {
	case cfg.MaxLen > 0 && cfg.MinID != "":
		p.cfgErr = fmt.Errorf("%w: MaxLen and MinID are both set", ErrInvalidConfig)
	case cfg.DedupWindow < time.Millisecond:
		p.cfgErr = fmt.Errorf("%w: DedupWindow is negative or under 1ms", ErrInvalidConfig)
	case cfg.MaxLen > 0:
		p.trim = []any{"maxlen", "~", cfg.MaxLen}
	case cfg.MinID != "":
		p.trim = []any{"minid", "~", cfg.MinID}
	}
	for _, o := range opts {
		if o == nil {
			panic("redisstream: nil PublisherOption passed to NewPublisher")
		}
		o.apply(p)
	}
	return p
}

// Publish appends one event to stream and returns its entry ID. With the
// DedupID option, it writes nothing if an event with that key was published
// to stream within the dedup window, and returns that event's ID (see
// Event.DedupID).
func (p *Publisher) Publish(ctx context.Context, stream, eventType string, payload any, opts ...PublishOption) (string, error) {
	call := publishOptions(opts)
	fields, err := p.encode(ctx, eventType, payload)
	if err != nil {
		return "", err
	}
	var id string
	if call.dedupID != "" {
		var ids []string
		ids, err = p.publishOnce(ctx, stream, []Event{{DedupID: call.dedupID}}, [][]string{fields}, len(fields))
		if err == nil {
			id = ids[0]
		}
	} else {
		id, err = p.xadd(ctx, stream, fields).Result()
	}
	if err != nil {
		return "", fmt.Errorf("redisstream: publish %s to %s: %w", eventType, stream, err)
	}
	return id, nil
}

// PublishBatch appends events to stream in one pipelined round trip and
// returns their entry IDs in order. Every event is encoded before anything is
// sent, so an encoding error publishes nothing. If Redis fails part of the
// batch, the error names the first failed event, and the IDs of the events
// that were written are still returned (empty for the others). To retry a
// failed batch, publish again only the events whose ID is empty: one with an
// ID was written, even when go-redis reports an error for it. An event
// without one may have been written too, if the connection failed after
// Redis took it; publishing it again then writes it twice, which consumers
// must tolerate anyway (delivery is at least once).
//
// A batch in which any event has a DedupID is written by one Lua script
// instead, in order, each event unless its key is known (see
// Event.DedupID); if it fails, no ID is returned. Retrying the whole batch
// is then safe for the events that have a DedupID: the ones already
// written are returned, not written again.
func (p *Publisher) PublishBatch(ctx context.Context, stream string, events []Event) ([]string, error) {
	encoded := make([][]string, len(events))
	n := 0
	for i, e := range events {
		fields, err := p.encode(ctx, e.Type, e.Payload)
		if err != nil {
			return nil, fmt.Errorf("redisstream: publish batch event %d: %w", i, err)
		}
		encoded[i] = fields
		n += len(fields)
	}
	if len(events) == 0 {
		return nil, nil
	}
	if hasDedupID(events) {
		ids, err := p.publishOnce(ctx, stream, events, encoded, n)
		if err != nil {
			return make([]string, len(events)), fmt.Errorf("redisstream: publish batch of %d events to %s: %w", len(events), stream, err)
		}
		return ids, nil
	}
	head := p.xaddHead(stream)
	args := make([]any, 0, n+len(events)*len(head)) // one allocation for the batch
	cmds := make([]*redis.StringCmd, len(events))
	_, perr := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, fields := range encoded {
			var one []any
			args, one = appendXAdd(args, head, fields)
			cmds[i] = redis.NewStringCmd(ctx, one...)
			_ = pipe.Process(ctx, cmds[i]) // the error is the command's, read below
		}
		return nil
	})
	ids := make([]string, len(cmds))
	var first error
	for i, c := range cmds {
		ids[i] = c.Val()
		err := c.Err()
		if err == nil && ids[i] == "" {
			// The pipeline failed before this command ran (a go-redis hook
			// that refused it sets no command error): it was not written.
			err = cmp.Or(perr, errNoEntryID)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("redisstream: publish batch event %d (%s) to %s: %w", i, events[i].Type, stream, err)
		}
	}
	return ids, first
}

// hasDedupID reports whether an event has a DedupID.
func hasDedupID(events []Event) bool {
	for i := range events {
		if events[i].DedupID != "" {
			return true
		}
	}
	return false
}

// encode checks the configuration and encodes one event into stream fields,
// sets the field/value pairs of set (replacing a field of the payload), and
// applies the Fields hook.
func (p *Publisher) encode(ctx context.Context, eventType string, payload any, set ...string) ([]string, error) {
	if p.cfgErr != nil {
		return nil, p.cfgErr
	}
	fields, err := p.enc.EncodeFields(eventType, payload)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(set); i += 2 {
		fields = withField(fields, set[i], set[i+1])
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

// xadd writes fields to stream with one XADD and the configured trim.
func (p *Publisher) xadd(ctx context.Context, stream string, fields []string) *redis.StringCmd {
	head := p.xaddHead(stream)
	_, args := appendXAdd(make([]any, 0, len(head)+len(fields)), head, fields)
	cmd := redis.NewStringCmd(ctx, args...)
	_ = p.rdb.Process(ctx, cmd) // the error is the command's
	return cmd
}

// xaddHead returns the XADD arguments that come before the fields: the
// stream, the configured trim and the ID "*".
func (p *Publisher) xaddHead(stream string) []any {
	head := append(make([]any, 0, 3+len(p.trim)), "xadd", stream)
	return append(append(head, p.trim...), "*")
}

// appendXAdd appends the arguments of one XADD, head then fields, to args
// and returns args and the appended command. Each field is passed as a
// *string, which go-redis writes as the string itself: a string in an
// interface would cost one allocation per field, the largest cost of a
// publish after the encoding. (A go-redis hook that prints commands shows
// these arguments as addresses.) The command shares args' array: args must
// have room for it, or the command gets its own.
func appendXAdd(args, head []any, fields []string) (all, cmd []any) {
	start := len(args)
	args = append(args, head...)
	for i := range fields {
		args = append(args, &fields[i])
	}
	return args, args[start:len(args):len(args)]
}
