package streamfx

import (
	"cmp"
	"fmt"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// partitionedConfigs returns the engine configs of c.Partitioned with the
// module's defaults applied (the engine applies its own).
func (c Config) partitionedConfigs(log *zap.Logger) []redisstream.PartitionedConfig {
	out := make([]redisstream.PartitionedConfig, len(c.Partitioned))
	for i, p := range c.Partitioned {
		p.Processor.Group = cmp.Or(p.Processor.Group, DefaultConsumerGroup)
		if p.Processor.Logger == nil {
			p.Processor.Logger = log
		}
		out[i] = p
	}
	return out
}

// validatePartitioned checks every partitioned stream (see Validate): its
// engine config, its name and partitions listed once (seen holds the
// streams of Processors), and the partial worker rule.
func (c Config) validatePartitioned(seen map[string]bool) error {
	names := map[string]bool{}
	for i, p := range c.partitionedConfigs(zap.NewNop()) {
		name := p.Stream.Name()
		if err := p.Validate(); err != nil {
			return fmt.Errorf("%w: Partitioned[%d] (stream %q): %w", ErrInvalidConfig, i, name, err)
		}
		if names[name] {
			return fmt.Errorf("%w: partitioned stream %q is listed twice", ErrInvalidConfig, name)
		}
		names[name] = true
		for _, s := range p.Stream.Keys() {
			if seen[s] {
				return fmt.Errorf("%w: stream %q is a partition of %q and is listed in Processors", ErrInvalidConfig, s, name)
			}
		}
		if err := c.checkGroup([]string{name}, p.Processor.Group); err != nil {
			return err
		}
	}
	return nil
}

// partitionedRunner is a *redisstream.PartitionedProcessor as a runner of
// Processors: it stops on a fatal error like a Processor (Done, Err; see
// PartitionedProcessor), and names its logical stream in the logs.
type partitionedRunner struct {
	*redisstream.PartitionedProcessor
}

func newPartitionedRunner(p *redisstream.PartitionedProcessor) *partitionedRunner {
	return &partitionedRunner{PartitionedProcessor: p}
}

// Config returns the Processor configuration of the partitions, with the
// logical stream name as its only stream, for the logs.
func (r *partitionedRunner) Config() redisstream.ProcessorConfig {
	cfg := r.PartitionedProcessor.Config()
	pc := cfg.Processor
	pc.Streams = []string{cfg.Stream.Name()}
	return pc
}
