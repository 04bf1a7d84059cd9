package streamfx

import (
	"cmp"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/marker"
)

// retryMarkerTTL returns the MarkerTTL the asynq retry worker must use: the
// one every processor (of Processors and Partitioned) uses (the engine's default where a processor leaves
// it zero), which the worker needs to read and write the same completion
// markers (the TTL is part of the hashes' names). set is
// asynqretry.Config.MarkerTTL: zero takes the processors' value; another
// value, or processors that differ among themselves, is an error wrapping
// ErrInvalidConfig.
func (c Config) retryMarkerTTL(set time.Duration) (time.Duration, error) {
	var ttl time.Duration
	var streams []string
	check := func(p redisstream.ProcessorConfig, names []string) error {
		own := cmp.Or(p.MarkerTTL, marker.DefaultTTL)
		if ttl != 0 && own != ttl {
			return fmt.Errorf("%w: the processors of streams %v and %v have MarkerTTL %s and %s: "+
				"the one asynq retry worker cannot share the completion markers of both", ErrInvalidConfig, streams, names, ttl, own)
		}
		ttl, streams = own, names
		return nil
	}
	for _, p := range c.Processors {
		if err := check(p, p.Streams); err != nil {
			return 0, err
		}
	}
	for _, p := range c.Partitioned {
		if err := check(p.Processor, []string{p.Stream.Name()}); err != nil {
			return 0, err
		}
	}
	switch {
	case set == 0 || ttl == 0:
		return cmp.Or(set, ttl), nil
	case set != ttl:
		return 0, fmt.Errorf("%w: asynqretry.Config.MarkerTTL is %s and the processors' MarkerTTL %s: "+
			"the retry worker would neither see the completion markers of idempotent routes nor write ones "+
			"the processors see (leave it zero to take the processors')", ErrInvalidConfig, set, ttl)
	}
	return set, nil
}
