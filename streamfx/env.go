package streamfx

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// defaultEnvPrefix is the prefix of the variables read by ConfigFromEnv and
// LoadConfig when they are given an empty prefix.
const defaultEnvPrefix = "STREAMFX"

// The variable suffixes read by LoadConfig; each is appended to the prefix
// and an underscore (STREAMFX_STREAMS, ...). Unset or empty variables keep
// the zero value, that is the documented default.
const (
	envStreams              = "STREAMS"                // comma separated
	envConsumerGroup        = "CONSUMER_GROUP"         // ProcessorConfig.Group
	envConsumer             = "CONSUMER"               // ProcessorConfig.Consumer
	envBatchSize            = "BATCH_SIZE"             // integer
	envConcurrency          = "CONCURRENCY"            // integer
	envBlock                = "BLOCK"                  // Go duration
	envMinIdle              = "MIN_IDLE"               // Go duration
	envReclaimInterval      = "RECLAIM_INTERVAL"       // Go duration
	envRetentionInterval    = "RETENTION_INTERVAL"     // Go duration; zero: no retention
	envMaxDeliveries        = "MAX_DELIVERIES"         // integer
	envDeadLetterStream     = "DEAD_LETTER_STREAM"     // one for every stream
	envStartID              = "START_ID"               // ProcessorConfig.StartID
	envMaxMessageBytes      = "MAX_MESSAGE_BYTES"      // integer; negative: no limit
	envOrderKey             = "ORDER_KEY"              // ProcessorConfig.OrderKey
	envPartitions           = "PARTITIONS"             // integer: partitions of every stream
	envLeaseTTL             = "LEASE_TTL"              // Go duration: PartitionedConfig.LeaseTTL
	envRouteGroups          = "ROUTE_GROUPS"           // comma separated
	envDeadLetterUnroutable = "DEAD_LETTER_UNROUTABLE" // true/false
	envPublishMaxLen        = "PUBLISH_MAX_LEN"        // integer
	envPublishMinID         = "PUBLISH_MIN_ID"         // stream ID
	envReplyTTL             = "REPLY_TTL"              // Go duration
)

// renamedEnv maps former variable suffixes to their names now: setting one
// is an error rather than silently ignored (a worker that lost its route
// groups would mount every route).
var renamedEnv = map[string]string{"GROUP": envConsumerGroup, "ENABLED_GROUPS": envRouteGroups}

// ConfigFromEnv loads a Config from the process environment with
// LoadConfig(prefix, os.Environ()). For example, with prefix "STREAMFX":
//
//	STREAMFX_STREAMS=orders,emails
//	STREAMFX_CONSUMER_GROUP=billing-worker
//	STREAMFX_ROUTE_GROUPS=billing
//	STREAMFX_BLOCK=2s STREAMFX_MIN_IDLE=1m STREAMFX_CONCURRENCY=32
func ConfigFromEnv(prefix string) (Config, error) {
	return LoadConfig(prefix, os.Environ())
}

// LoadConfig builds a Config from the "KEY=value" entries of environ (as
// os.Environ returns them; a later entry wins over an earlier one with the
// same key) whose key is prefix + "_" + a variable listed in the README
// (STREAMFX_STREAMS, STREAMFX_CONSUMER_GROUP, ...). An empty prefix means
// "STREAMFX". Every stream of STREAMFX_STREAMS gets a processor of its own,
// with the same settings; with STREAMFX_PARTITIONS=P (P > 0) every stream
// is instead a partitioned stream of P partitions (Config.Partitioned,
// partition.New), consumed by a PartitionedProcessor with those settings
// and STREAMFX_LEASE_TTL. Every malformed or negative variable is reported,
// joined into one error that wraps ErrInvalidConfig and names each variable
// and its value; the result is then checked with Config.Validate. A variable
// with the prefix that LoadConfig does not know (a misspelling) is kept in
// the Config, and Module logs a warning naming it.
func LoadConfig(prefix string, environ []string) (Config, error) {
	if prefix == "" {
		prefix = defaultEnvPrefix
	}
	e := envReader{prefix: strings.TrimSuffix(prefix, "_") + "_", vars: map[string]string{}, read: map[string]bool{}}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, e.prefix) {
			e.vars[strings.TrimPrefix(k, e.prefix)] = v
		}
	}
	p := redisstream.ProcessorConfig{
		Group:             e.str(envConsumerGroup),
		Consumer:          e.str(envConsumer),
		BatchSize:         e.count(envBatchSize),
		Concurrency:       e.count(envConcurrency),
		Block:             e.duration(envBlock),
		MinIdle:           e.duration(envMinIdle),
		ReclaimInterval:   e.duration(envReclaimInterval),
		RetentionInterval: e.duration(envRetentionInterval),
		MaxDeliveries:     e.count(envMaxDeliveries),
		DeadLetterStream:  e.str(envDeadLetterStream),
		StartID:           e.str(envStartID),
		MaxMessageBytes:   e.integer(envMaxMessageBytes),
		OrderKey:          e.str(envOrderKey),
	}
	var cfg Config
	if partitions, ttl := e.count(envPartitions), e.duration(envLeaseTTL); partitions > 0 {
		cfg.Partitioned = e.partitioned(e.list(envStreams), partitions, ttl, p)
	} else {
		if ttl != 0 {
			e.fail(envLeaseTTL, e.str(envLeaseTTL), "is set but "+e.prefix+envPartitions+" is not")
		}
		for _, name := range e.list(envStreams) {
			p.Streams = []string{name}
			cfg.Processors = append(cfg.Processors, p)
		}
	}
	cfg.RouteGroups = e.list(envRouteGroups)
	cfg.DeadLetterUnroutable = e.boolean(envDeadLetterUnroutable)
	cfg.Publisher.MaxLen = int64(e.count(envPublishMaxLen))
	cfg.Publisher.MinID = e.str(envPublishMinID)
	cfg.Publisher.ReplyTTL = e.duration(envReplyTTL)
	cfg.unknownEnv = e.unknown()
	if err := errors.Join(e.errs...); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// partitioned returns a partitioned stream of partitions partitions for
// each of names, consumed with p and lease TTL ttl.
func (e *envReader) partitioned(names []string, partitions int, ttl time.Duration, p redisstream.ProcessorConfig) []redisstream.PartitionedConfig {
	var out []redisstream.PartitionedConfig
	for _, name := range names {
		stream, err := partition.New(name, partitions)
		if err != nil {
			e.fail(envPartitions, e.str(envPartitions), fmt.Sprintf("cannot partition stream %q: %v", name, err))
			continue
		}
		out = append(out, redisstream.PartitionedConfig{Stream: stream, Processor: p, LeaseTTL: ttl})
	}
	return out
}

// envReader reads typed variables, collects their errors and remembers
// which ones it read.
type envReader struct {
	prefix string
	vars   map[string]string // by suffix
	read   map[string]bool
	errs   []error
}

func (e *envReader) str(key string) string {
	e.read[key] = true
	return strings.TrimSpace(e.vars[key])
}

// list splits a comma-separated value, ignoring blanks around and between
// items.
func (e *envReader) list(key string) []string {
	var out []string
	for _, item := range strings.Split(e.str(key), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (e *envReader) integer(key string) int {
	v := e.str(key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(key, v, "is not an integer")
	}
	return n
}

// count is an integer that may not be negative.
func (e *envReader) count(key string) int {
	n := e.integer(key)
	if n < 0 {
		e.fail(key, e.str(key), "is negative")
	}
	return n
}

func (e *envReader) duration(key string) time.Duration {
	v := e.str(key)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		e.fail(key, v, "is not a duration (use Go syntax such as 500ms, 2s, 1m30s)")
	case d < 0:
		e.fail(key, v, "is negative")
	}
	return d
}

func (e *envReader) boolean(key string) bool {
	v := e.str(key)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(key, v, "is not a boolean (use true or false)")
	}
	return b
}

// unknown reports the variables renamed since (as errors) and returns the
// other unknown ones, sorted, with their prefix.
func (e *envReader) unknown() []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(e.vars)) {
		v := e.vars[key]
		if e.read[key] {
			continue
		}
		if now, ok := renamedEnv[key]; ok {
			e.fail(key, v, "was renamed "+e.prefix+now)
			continue
		}
		out = append(out, e.prefix+key)
	}
	return out
}

func (e *envReader) fail(key, value, problem string) {
	e.errs = append(e.errs, fmt.Errorf("%w: %s%s=%q %s", ErrInvalidConfig, e.prefix, key, value, problem))
}
