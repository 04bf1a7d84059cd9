package streamfx

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// DefaultConsumerGroup is the Redis consumer group of a processor whose
// redisstream.ProcessorConfig.Group is empty: "monolith", the seed's
// default_monolith_group, so that a Go worker and a Python worker configured
// alike read with the same group. A monolith (Config.RouteGroups empty) may
// use it; a partial worker may not (see Config.RouteGroups).
const DefaultConsumerGroup = "monolith"

// retryQueuePrefix names the asynq queue of an app's retries (see
// Config.retryQueue).
const retryQueuePrefix = "streamfx"

// Config is what the app provides to Module (for example with fx.Supply, or
// fx.Provide of a function that calls ConfigFromEnv). The zero value
// consumes nothing: a publish-only app.
type Config struct {
	// Processors lists the stream processors to run, each configured with
	// the engine's own redisstream.ProcessorConfig (streams, consumer group,
	// batch size, concurrency, ...; zero values mean its defaults), with two
	// differences: an empty Group means DefaultConsumerGroup, and a nil
	// Logger the app's logger. Its Observer, if set, is told beside those of
	// streamfx/fxmetrics. A stream may be listed by one processor only. If
	// empty, no processor runs (then no route may be contributed either: see
	// ErrNoStreams). ConfigFromEnv builds one processor per stream.
	Processors []redisstream.ProcessorConfig
	// Partitioned lists the partitioned streams to consume, each by a
	// redisstream.PartitionedProcessor (one member of the consumer group
	// that shares the stream's partitions) configured with the engine's
	// own redisstream.PartitionedConfig, with the same two differences as
	// Processors: an empty Processor.Group means DefaultConsumerGroup, and
	// a nil Processor.Logger the app's logger. A partition may not also be
	// listed in Processors. ConfigFromEnv fills it instead of Processors
	// when STREAMFX_PARTITIONS is set.
	Partitioned []redisstream.PartitionedConfig
	// RouteGroups, if not empty, mounts only the routes whose route group
	// (Route.Group, dispatcher.InGroup) is listed, and the routes without a
	// route group: the seed's enabled_groups, so one binary runs as a
	// monolith or as split workers. Such a partial worker must consume with
	// a consumer group of its own, never DefaultConsumerGroup: in a consumer
	// group shared with other workers it would acknowledge, as unroutable,
	// the messages meant for routes it does not mount.
	RouteGroups []string
	// DeadLetterUnroutable sends a message without a type, or with a type no
	// mounted route handles, to the dead-letter stream instead of
	// acknowledging it (see dispatcher.Config).
	DeadLetterUnroutable bool
	// IdempotentRoutes makes every route idempotent (dispatcher.Idempotent):
	// a route that completed for a message is recorded, and skipped when
	// the message is delivered again. With WithAsynqRetry, the retry
	// worker uses the processors' MarkerTTL (which must then be the same
	// for all of them); an asynqretry.Config.MarkerTTL that differs fails
	// fx.New.
	IdempotentRoutes bool
	// Publisher configures the provided *redisstream.Publisher.
	Publisher redisstream.PublisherConfig

	// unknownEnv lists the variables with the config's prefix that
	// ConfigFromEnv or LoadConfig did not know: Module warns about them.
	unknownEnv []string
}

// processorConfigs returns the engine configs of c.Processors with the
// module's defaults applied (the engine applies its own).
func (c Config) processorConfigs(log *zap.Logger) []redisstream.ProcessorConfig {
	out := make([]redisstream.ProcessorConfig, len(c.Processors))
	for i, p := range c.Processors {
		p.Streams = slices.Clone(p.Streams)
		p.Group = cmp.Or(p.Group, DefaultConsumerGroup)
		if p.Logger == nil {
			p.Logger = log
		}
		out[i] = p
	}
	return out
}

// Validate reports the first problem that makes c unusable, wrapped in
// ErrInvalidConfig (and ErrDefaultGroupInPartialWorker for the seed's rule).
// Each processor's settings are checked by the engine's
// redisstream.ProcessorConfig.Validate.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for i, p := range c.processorConfigs(zap.NewNop()) {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%w: Processors[%d] (streams %q): %w", ErrInvalidConfig, i, p.Streams, err)
		}
		for _, s := range p.Streams {
			if seen[s] {
				return fmt.Errorf("%w: stream %q is listed twice", ErrInvalidConfig, s)
			}
			seen[s] = true
		}
		if err := c.checkGroup(p.Streams, p.Group); err != nil {
			return err
		}
	}
	if err := c.validatePartitioned(seen); err != nil {
		return err
	}
	for i, g := range c.RouteGroups {
		if g == "" {
			return fmt.Errorf("%w: RouteGroups[%d] is empty", ErrInvalidConfig, i)
		}
		if slices.Contains(c.RouteGroups[:i], g) {
			return fmt.Errorf("%w: route group %q is listed twice", ErrInvalidConfig, g)
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

// checkGroup enforces the seed's rule on the consumer group of streams: a
// partial worker (RouteGroups set) may not use DefaultConsumerGroup.
func (c Config) checkGroup(streams []string, group string) error {
	if len(c.RouteGroups) > 0 && group == DefaultConsumerGroup {
		return fmt.Errorf("%w: %w: streams %q are consumed with consumer group %q by a worker "+
			"that mounts only the route groups %q; give this worker its own consumer group "+
			"(ProcessorConfig.Group or STREAMFX_CONSUMER_GROUP), or it would acknowledge messages "+
			"meant for the routes it does not mount",
			ErrInvalidConfig, ErrDefaultGroupInPartialWorker, streams, DefaultConsumerGroup, c.RouteGroups)
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
	var groups []string
	for _, p := range c.processorConfigs(zap.NewNop()) {
		groups = append(groups, p.Group)
	}
	for _, p := range c.partitionedConfigs(zap.NewNop()) {
		groups = append(groups, p.Processor.Group)
	}
	slices.Sort(groups)
	groups = slices.Compact(groups)
	if len(groups) == 0 || (len(groups) == 1 && groups[0] == DefaultConsumerGroup) {
		return retryQueuePrefix
	}
	return retryQueuePrefix + ":" + strings.Join(groups, "+")
}

// deadLetterStreams maps each consumed stream to its configured dead-letter
// stream, for the retry side.
func (c Config) deadLetterStreams() map[string]string {
	m := map[string]string{}
	for _, p := range c.Processors {
		if p.DeadLetterStream != "" {
			for _, s := range p.Streams {
				m[s] = p.DeadLetterStream
			}
		}
	}
	return m
}
