package streamfx

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// DefaultGroupName is the consumer group of a stream whose StreamConfig.Group
// is empty: "monolith", the seed's default_monolith_group, so that a Go
// worker and a Python worker configured alike read with the same group. A
// monolith (Config.EnabledGroups empty) may use it; a partial worker may not
// (see Config.EnabledGroups).
const DefaultGroupName = "monolith"

// retryQueuePrefix names the asynq queue of an app's retries (see
// Config.retryQueue).
const retryQueuePrefix = "streamfx"

// Config is what the app provides to Module (for example with fx.Supply, or
// fx.Provide of a function that calls ConfigFromEnv). The zero value
// consumes nothing: a publish-only app.
type Config struct {
	// Streams lists the streams to consume, one processor each. Names must
	// be unique. If empty, no processor runs (then no route may be
	// contributed either: see ErrNoStreams).
	Streams []StreamConfig
	// EnabledGroups, if not empty, mounts only the routes whose logical
	// group (dispatcher.InGroup) is listed, and the routes without a group:
	// the seed's enabled_groups, so one binary runs as a monolith or as
	// split workers. Such a partial worker
	// must consume with a consumer group of its own, never DefaultGroupName:
	// in a group shared with other workers it would acknowledge, as
	// unroutable, the messages meant for routes it does not mount.
	EnabledGroups []string
	// DeadLetterUnroutable sends a message without a type, or with a type no
	// mounted route handles, to the dead-letter stream instead of
	// acknowledging it (see dispatcher.Config).
	DeadLetterUnroutable bool
	// Publisher configures the provided *redisstream.Publisher.
	Publisher redisstream.PublisherConfig
}

// StreamConfig configures the consumption of one stream. Zero values mean
// the defaults of redisstream.ProcessorConfig, except Group.
type StreamConfig struct {
	// Name is the stream key; required.
	Name string
	// Group is the consumer group. If empty, DefaultGroupName.
	Group string
	// Consumer is this process's consumer name in the group. If empty,
	// "<hostname>-<pid>-<random>".
	Consumer string
	// BatchSize is the XREADGROUP COUNT. If zero, 100.
	BatchSize int
	// Concurrency is the handler worker pool size. If zero, 16. With 1 the
	// entries run one at a time in stream order; above 1 they run
	// concurrently, and a second reader reads ahead while the stream has a
	// backlog (see redisstream.ProcessorConfig.Concurrency).
	Concurrency int
	// Block is the XREADGROUP BLOCK time; it bounds how long stopping takes
	// to interrupt a read. If zero, 1s.
	Block time.Duration
	// MinIdle is how long an entry stays pending before it is reclaimed and
	// redelivered. If zero, 30s.
	MinIdle time.Duration
	// ReclaimInterval is how often idle pending entries are reclaimed. If
	// zero, 10s.
	ReclaimInterval time.Duration
	// MaxDeliveries is how many deliveries a failing message gets before it
	// is dead-lettered (without a retry scheduler). If zero, 5.
	MaxDeliveries int
	// DeadLetterStream is where failed messages go. If empty, "<Name>:dead".
	DeadLetterStream string
	// StartID is the ID from which a newly created group reads. If empty,
	// "0" (the whole stream).
	StartID string
	// MaxMessageBytes caps the size of an entry; a larger one is
	// dead-lettered unhandled. If zero, 1 MiB; if negative, no limit.
	MaxMessageBytes int
}

// group returns the consumer group with its default applied.
func (s StreamConfig) group() string {
	if s.Group == "" {
		return DefaultGroupName
	}
	return s.Group
}

// processorConfig converts s to the engine's config, defaults applied by
// the engine.
func (s StreamConfig) processorConfig(log *zap.Logger) redisstream.ProcessorConfig {
	return redisstream.ProcessorConfig{
		Streams:          []string{s.Name},
		Group:            s.group(),
		Consumer:         s.Consumer,
		BatchSize:        s.BatchSize,
		Block:            s.Block,
		Concurrency:      s.Concurrency,
		MinIdle:          s.MinIdle,
		ReclaimInterval:  s.ReclaimInterval,
		MaxDeliveries:    s.MaxDeliveries,
		DeadLetterStream: s.DeadLetterStream,
		StartID:          s.StartID,
		MaxMessageBytes:  s.MaxMessageBytes,
		Logger:           log,
	}
}

// Validate reports the first problem that makes c unusable, wrapped in
// ErrInvalidConfig (and ErrDefaultGroupInPartialWorker for the seed's rule).
func (c Config) Validate() error {
	seen := make(map[string]bool, len(c.Streams))
	for i, s := range c.Streams {
		if s.Name == "" {
			return fmt.Errorf("%w: Streams[%d] has no Name", ErrInvalidConfig, i)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: stream %q is listed twice", ErrInvalidConfig, s.Name)
		}
		seen[s.Name] = true
		if err := s.validateNumbers(); err != nil {
			return fmt.Errorf("%w: stream %q: %w", ErrInvalidConfig, s.Name, err)
		}
		if len(c.EnabledGroups) > 0 && s.group() == DefaultGroupName {
			return fmt.Errorf("%w: %w: stream %q is consumed with group %q by a worker "+
				"that mounts only the groups %q; give this worker its own consumer group "+
				"(StreamConfig.Group or STREAMFX_GROUP), or it would acknowledge messages "+
				"meant for the routes it does not mount",
				ErrInvalidConfig, ErrDefaultGroupInPartialWorker, s.Name, DefaultGroupName, c.EnabledGroups)
		}
	}
	for i, g := range c.EnabledGroups {
		if g == "" {
			return fmt.Errorf("%w: EnabledGroups[%d] is empty", ErrInvalidConfig, i)
		}
		if slices.Contains(c.EnabledGroups[:i], g) {
			return fmt.Errorf("%w: enabled group %q is listed twice", ErrInvalidConfig, g)
		}
	}
	if c.Publisher.MaxLen < 0 || c.Publisher.ReplyTTL < 0 {
		return fmt.Errorf("%w: negative Publisher.MaxLen or Publisher.ReplyTTL", ErrInvalidConfig)
	}
	if c.Publisher.MaxLen > 0 && c.Publisher.MinID != "" {
		return fmt.Errorf("%w: Publisher.MaxLen and Publisher.MinID are mutually exclusive", ErrInvalidConfig)
	}
	return nil
}

// validateNumbers rejects negative sizes, counts and durations
// (MaxMessageBytes may be negative: no limit).
func (s StreamConfig) validateNumbers() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"BatchSize", s.BatchSize < 0},
		{"Concurrency", s.Concurrency < 0},
		{"Block", s.Block < 0},
		{"MinIdle", s.MinIdle < 0},
		{"ReclaimInterval", s.ReclaimInterval < 0},
		{"MaxDeliveries", s.MaxDeliveries < 0},
	} {
		if f.neg {
			return fmt.Errorf("%s is negative", f.name)
		}
	}
	return nil
}

// retryQueue returns the asynq queue of this app's retries when
// asynqretry.Config.Queue is empty: "streamfx" for an app that only uses the
// default consumer group, else "streamfx:" followed by its sorted consumer
// groups joined by "+". Split workers have their own consumer groups (see
// Validate), so each gets its own queue: a worker never picks up a retry of
// a route that only another worker mounts.
func (c Config) retryQueue() string {
	seen := map[string]bool{}
	var groups []string
	for _, s := range c.Streams {
		g := s.Group
		if g == "" {
			g = DefaultGroupName
		}
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	if len(groups) == 0 || (len(groups) == 1 && groups[0] == DefaultGroupName) {
		return retryQueuePrefix
	}
	return retryQueuePrefix + ":" + strings.Join(groups, "+")
}

// deadLetterStreams maps each configured stream to its dead-letter stream,
// for the retry side.
func (c Config) deadLetterStreams() map[string]string {
	m := make(map[string]string, len(c.Streams))
	for _, s := range c.Streams {
		if s.DeadLetterStream != "" {
			m[s.Name] = s.DeadLetterStream
		}
	}
	return m
}
