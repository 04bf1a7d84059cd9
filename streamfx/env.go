package streamfx

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultEnvPrefix is the prefix of the environment variables read by
// ConfigFromEnv and LoadConfig when they are given an empty prefix.
const DefaultEnvPrefix = "STREAMFX"

// Environment variable suffixes read by LoadConfig; each is appended to the
// prefix and an underscore (STREAMFX_STREAMS, ...). Unset or empty variables
// keep the zero value, that is the documented default.
const (
	// EnvStreams is a comma-separated list of stream names to consume.
	EnvStreams = "STREAMS"
	// EnvGroup is the consumer group of every stream.
	EnvGroup = "GROUP"
	// EnvConsumer is the consumer name of this process.
	EnvConsumer = "CONSUMER"
	// EnvBatchSize is the XREADGROUP COUNT (integer).
	EnvBatchSize = "BATCH_SIZE"
	// EnvConcurrency is the handler pool size of each stream (integer).
	EnvConcurrency = "CONCURRENCY"
	// EnvBlock is the XREADGROUP BLOCK time (Go duration: 500ms, 2s).
	EnvBlock = "BLOCK"
	// EnvMinIdle is the idle time before a pending entry is reclaimed (Go
	// duration).
	EnvMinIdle = "MIN_IDLE"
	// EnvReclaimInterval is how often pending entries are reclaimed (Go
	// duration).
	EnvReclaimInterval = "RECLAIM_INTERVAL"
	// EnvMaxDeliveries is the number of deliveries before dead-lettering
	// (integer).
	EnvMaxDeliveries = "MAX_DELIVERIES"
	// EnvDeadLetterStream is one dead-letter stream for every consumed
	// stream; if unset each stream uses "<stream>:dead".
	EnvDeadLetterStream = "DEAD_LETTER_STREAM"
	// EnvStartID is the ID a newly created group starts from.
	EnvStartID = "START_ID"
	// EnvMaxMessageBytes caps an entry's size (integer; negative: no limit).
	EnvMaxMessageBytes = "MAX_MESSAGE_BYTES"
	// EnvEnabledGroups is a comma-separated list of logical route groups to
	// mount (a partial worker); unset mounts every route.
	EnvEnabledGroups = "ENABLED_GROUPS"
	// EnvDeadLetterUnroutable dead-letters unroutable messages (true/false,
	// 1/0).
	EnvDeadLetterUnroutable = "DEAD_LETTER_UNROUTABLE"
	// EnvPublishMaxLen trims published streams to about this length
	// (integer).
	EnvPublishMaxLen = "PUBLISH_MAX_LEN"
	// EnvPublishMinID trims published streams below this ID.
	EnvPublishMinID = "PUBLISH_MIN_ID"
	// EnvReplyTTL is the TTL of request/reply lists (Go duration).
	EnvReplyTTL = "REPLY_TTL"
)

// ConfigFromEnv loads a Config from the process environment with
// LoadConfig(prefix, os.LookupEnv). For example, with prefix "STREAMFX":
//
//	STREAMFX_STREAMS=orders,emails
//	STREAMFX_GROUP=billing-worker
//	STREAMFX_ENABLED_GROUPS=billing
//	STREAMFX_BLOCK=2s STREAMFX_MIN_IDLE=1m STREAMFX_CONCURRENCY=32
func ConfigFromEnv(prefix string) (Config, error) {
	return LoadConfig(prefix, os.LookupEnv)
}

// LoadConfig builds a Config from the variables named prefix + "_" + Env...
// as found by lookup (os.LookupEnv, or a map in tests). An empty prefix means
// DefaultEnvPrefix. Every stream of EnvStreams gets the same settings. Every
// malformed variable is reported, joined into one error that wraps
// ErrInvalidConfig and names the variable and its value; the result is then
// checked with Config.Validate.
func LoadConfig(prefix string, lookup func(key string) (string, bool)) (Config, error) {
	if prefix == "" {
		prefix = DefaultEnvPrefix
	}
	e := envReader{prefix: strings.TrimSuffix(prefix, "_") + "_", lookup: lookup}
	s := StreamConfig{
		Group:            e.str(EnvGroup),
		Consumer:         e.str(EnvConsumer),
		BatchSize:        e.integer(EnvBatchSize),
		Concurrency:      e.integer(EnvConcurrency),
		Block:            e.duration(EnvBlock),
		MinIdle:          e.duration(EnvMinIdle),
		ReclaimInterval:  e.duration(EnvReclaimInterval),
		MaxDeliveries:    e.integer(EnvMaxDeliveries),
		DeadLetterStream: e.str(EnvDeadLetterStream),
		StartID:          e.str(EnvStartID),
		MaxMessageBytes:  e.integer(EnvMaxMessageBytes),
	}
	var cfg Config
	for _, name := range e.list(EnvStreams) {
		s.Name = name
		cfg.Streams = append(cfg.Streams, s)
	}
	cfg.EnabledGroups = e.list(EnvEnabledGroups)
	cfg.DeadLetterUnroutable = e.boolean(EnvDeadLetterUnroutable)
	cfg.Publisher.MaxLen = int64(e.integer(EnvPublishMaxLen))
	cfg.Publisher.MinID = e.str(EnvPublishMinID)
	cfg.Publisher.ReplyTTL = e.duration(EnvReplyTTL)
	if err := errors.Join(e.errs...); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// envReader reads typed variables and collects their errors.
type envReader struct {
	prefix string
	lookup func(string) (string, bool)
	errs   []error
}

func (e *envReader) str(key string) string {
	v, _ := e.lookup(e.prefix + key)
	return strings.TrimSpace(v)
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

func (e *envReader) duration(key string) time.Duration {
	v := e.str(key)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(key, v, "is not a duration (use Go syntax such as 500ms, 2s, 1m30s)")
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

func (e *envReader) fail(key, value, problem string) {
	e.errs = append(e.errs, fmt.Errorf("%w: %s%s=%q %s", ErrInvalidConfig, e.prefix, key, value, problem))
}
