package redisstream

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/internal/marker"
)

const (
	defaultBatchSize       = 100
	defaultBlock           = time.Second
	defaultConcurrency     = 16
	defaultMinIdle         = 30 * time.Second
	defaultReclaimInterval = 10 * time.Second
	defaultMaxDeliveries   = 5
	defaultStartID         = "0"
	defaultMaxMessageBytes = 1 << 20
)

// ProcessorConfig configures a Processor. Zero values mean the documented
// defaults; Streams and Group are required.
type ProcessorConfig struct {
	// Streams lists the streams to consume; at least one is required. Each
	// stream has its own reader goroutine and its own XREADGROUP, so streams
	// in different Redis Cluster slots work. A blocked reader holds one
	// connection of the client's pool: give the client a PoolSize of at
	// least the number of streams plus 3, for acks, claims and dead letters.
	// Start logs a warning when the pool cannot hold a blocked read of every
	// stream and 3 more.
	Streams []string
	// Group is the consumer group name; required.
	Group string
	// Consumer is this process's consumer name within the group. If empty,
	// "<hostname>-<pid>-<random>", unique per process. Set a stable name to
	// have a restarted process drain its own pending entries first.
	Consumer string
	// BatchSize is the XREADGROUP COUNT and the XAUTOCLAIM COUNT. Entries
	// read wait for a handler in a queue of BatchSize entries (at least
	// Concurrency) shared by every stream, while each reader reads its next
	// batch; at stop, the entries read but not started stay pending, handed
	// back for the next reclaim of the other consumers (see
	// Processor.Shutdown). If zero, 100.
	BatchSize int
	// Block is the XREADGROUP BLOCK time. It bounds how long a reader takes
	// to notice Shutdown. If zero, 1s.
	Block time.Duration
	// Concurrency is the size of the handler worker pool shared by every
	// stream. If zero, 16. With 1, one handler runs the entries in stream
	// order, redeliveries aside.
	Concurrency int
	// MinIdle is how long an entry must stay pending without being acked
	// before the reclaim loop takes it over (from a dead consumer, or to
	// redeliver a failed message). A handler may run longer: each reclaim
	// tick resets the idle time of the entries this process has held for
	// more than MinIdle/2 (XCLAIM JUSTID, which adds no delivery), so no
	// consumer reclaims them while they run, provided ReclaimInterval is
	// below MinIdle/2. A process that dies stops refreshing its entries,
	// which are then reclaimed after MinIdle. If zero, 30s.
	MinIdle time.Duration
	// ReclaimInterval is how often the reclaim loop runs XAUTOCLAIM. If zero,
	// 10s.
	ReclaimInterval time.Duration
	// RetentionInterval, if > 0, turns retention on: every RetentionInterval
	// the Processor removes from each of its streams the entries that every
	// consumer group of the stream has acknowledged (below the oldest
	// pending entry and the last delivered one of every group: the rule of
	// `streamfx trim`, inspect.Inspector.Trim), with XTRIM MINID ~, which may
	// keep a few more. An entry some group has not read or not acknowledged
	// is never removed; a group created later starts after what was
	// removed. Every Processor of the group trims: the rule makes that
	// harmless. If zero, off: the Processor never trims.
	RetentionInterval time.Duration
	// MaxDeliveries is how many deliveries a message gets before a failure
	// sends it to the dead-letter stream (without a RetryScheduler, every
	// failure is retried by redelivery). If zero, 5.
	MaxDeliveries int
	// DeadLetterStream names the dead-letter stream of every consumed
	// stream. If empty, dispatcher.DeadLetterStream(stream) for each stream
	// ("orders" -> "orders:dead").
	DeadLetterStream string
	// StartID is the ID from which a newly created group reads, such as "$"
	// (only new entries) or "0" (everything in the stream). If empty, "0":
	// entries published before the group existed, or while it was missing,
	// are not lost.
	StartID string
	// MaxMessageBytes caps the size of an entry (sum of field name and value
	// lengths). A larger entry is dead-lettered with
	// ErrMessageTooLarge without running any handler. If zero,
	// 1 MiB; if negative, no limit.
	MaxMessageBytes int
	// MarkerTTL is how long the completion marker of an idempotent route
	// (see dispatcher.Idempotent) is kept: a redelivery within it skips the
	// route. A marker lives at least MarkerTTL and at most twice that, and
	// takes about 65 bytes of Redis memory plus the lengths of the entry ID
	// and the route name (measured: 100 bytes for a 15-character route in
	// a hash of 10,000 markers, 90 in one of 100,000; see
	// BenchmarkMarkerMemory in internal/marker). Keep it above the longest
	// time an entry may wait for a redelivery or an asynq retry, and equal
	// to asynqretry's Config.MarkerTTL (streamfx.WithAsynqRetry takes it
	// from the processors). If zero, 15 minutes.
	MarkerTTL time.Duration
	// Logger receives the processor's logs. If nil, zap.NewNop().
	Logger *zap.Logger
	// OrderKey, if not empty, names the field that holds an entry's
	// ordering key, such as "account_id", and makes the Processor ordered:
	// the entries of one key in one stream run one at a time, in stream
	// order, while entries of different keys run concurrently on the
	// Concurrency workers. An entry without the field, or with an empty
	// value, has no key and runs unordered. The key is the field's raw value
	// (see dispatcher.EncodeValue). A failed entry with a key is retried in
	// place, after a backoff of 100ms doubling up to 5s (+-20%), running only its
	// failed routes and never through the Dispatcher's RetryScheduler,
	// while later entries of its key wait; after MaxDeliveries runs it is
	// dead-lettered and its key goes on (the runs count against
	// MaxDeliveries with the deliveries before them). Each stream has one
	// reader, so that entries reach the scheduler in stream order. See the
	// package doc for what ordering guarantees across consumers.
	OrderKey string
	// OrderKeyFunc, if not nil, returns the ordering key of a message, and
	// makes the Processor ordered like OrderKey, which it overrides; "" is
	// no key. It is called once per entry read, on the scheduler's
	// goroutine, so it must be fast; a panic gives no key.
	OrderKeyFunc func(*dispatcher.Message) string
	// OrderBuffer caps the entries an ordered Processor holds, running,
	// waiting for their key or for a retry, besides one batch being taken
	// in: when it is reached, reading waits. If zero, the larger of
	// 4 x Concurrency and 2 x BatchSize.
	OrderBuffer int
	// OrderKeyBuffer caps the entries of one key an ordered Processor holds:
	// when the next entry read has a key that holds that many, reading waits
	// until the key's oldest entry finished (entries of other keys already
	// held go on running). If zero, OrderBuffer / 4, at least 1.
	OrderKeyBuffer int
	// Observer, if not nil, is told the outcome of every entry the
	// Processor settles and the size of every reclaim (see
	// dispatcher.Observer); a *metrics.Metrics of package dispatcher/metrics
	// fits. If it is also an OrderObserver, an ordered Processor tells it
	// the state of its keys. If nil, nothing is reported.
	Observer dispatcher.Observer

	// fence, if set, acknowledges and writes dead letters instead of XACK
	// and deadletter.Write: a PartitionedProcessor does both through the
	// partition's lease, so that nothing is acknowledged or dead-lettered
	// once another consumer owns the partition. (An interface, not a func,
	// keeps the struct comparable.)
	fence fence
	// limit, if not nil, is a semaphore that the workers of several
	// Processors share (see limit.go): a PartitionedProcessor bounds the
	// handlers of every partition it owns by its Concurrency.
	limit limit
}

// Validate reports the first problem that makes c unusable, wrapped in
// ErrInvalidConfig: no stream, an empty or duplicate stream, no group, a
// negative size, duration or count. NewProcessor calls it; it is exported
// for the configuration layers above (package streamfx) so that the rules
// live in one place.
func (c ProcessorConfig) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns a copy of c with every zero value replaced by its
// default, or an error if c cannot be used.
func (c ProcessorConfig) withDefaults() (ProcessorConfig, error) {
	if len(c.Streams) == 0 {
		return c, fmt.Errorf("%w: no stream", ErrInvalidConfig)
	}
	seen := make(map[string]bool, len(c.Streams))
	for _, s := range c.Streams {
		if s == "" || seen[s] {
			return c, fmt.Errorf("%w: empty or duplicate stream %q", ErrInvalidConfig, s)
		}
		seen[s] = true
	}
	if c.Group == "" {
		return c, fmt.Errorf("%w: no group", ErrInvalidConfig)
	}
	if err := c.checkNegative(); err != nil {
		return c, err
	}
	c.Streams = append([]string(nil), c.Streams...)
	if c.Consumer == "" {
		c.Consumer = defaultConsumer()
	}
	c.BatchSize = cmp.Or(c.BatchSize, defaultBatchSize)
	c.Block = cmp.Or(c.Block, defaultBlock)
	c.Concurrency = cmp.Or(c.Concurrency, defaultConcurrency)
	c.MinIdle = cmp.Or(c.MinIdle, defaultMinIdle)
	c.ReclaimInterval = cmp.Or(c.ReclaimInterval, defaultReclaimInterval)
	c.MaxDeliveries = cmp.Or(c.MaxDeliveries, defaultMaxDeliveries)
	c.StartID = cmp.Or(c.StartID, defaultStartID)
	c.MaxMessageBytes = cmp.Or(c.MaxMessageBytes, defaultMaxMessageBytes)
	c.MarkerTTL = cmp.Or(c.MarkerTTL, marker.DefaultTTL)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.ordered() {
		c.OrderBuffer = cmp.Or(c.OrderBuffer, max(4*c.Concurrency, 2*c.BatchSize))
		c.OrderKeyBuffer = cmp.Or(c.OrderKeyBuffer, max(c.OrderBuffer/4, 1))
	}
	return c, nil
}

// checkNegative names the first negative size, duration or count
// (MaxMessageBytes may be negative: no limit).
func (c ProcessorConfig) checkNegative() error {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"BatchSize", c.BatchSize < 0},
		{"Block", c.Block < 0},
		{"Concurrency", c.Concurrency < 0},
		{"MinIdle", c.MinIdle < 0},
		{"ReclaimInterval", c.ReclaimInterval < 0},
		{"RetentionInterval", c.RetentionInterval < 0},
		{"MaxDeliveries", c.MaxDeliveries < 0},
		{"OrderBuffer", c.OrderBuffer < 0},
		{"OrderKeyBuffer", c.OrderKeyBuffer < 0},
		{"MarkerTTL", c.MarkerTTL < 0},
	} {
		if f.neg {
			return fmt.Errorf("%w: %s is negative", ErrInvalidConfig, f.name)
		}
	}
	return nil
}

// ordered reports whether the Processor keeps the order of each key (see
// OrderKey).
func (c ProcessorConfig) ordered() bool { return c.OrderKey != "" || c.OrderKeyFunc != nil }

// deadLetterStream returns the dead-letter stream of stream.
func (c ProcessorConfig) deadLetterStream(stream string) string {
	if c.DeadLetterStream != "" {
		return c.DeadLetterStream
	}
	return dispatcher.DeadLetterStream(stream)
}

// defaultConsumer returns "<hostname>-<pid>-<random hex>".
func defaultConsumer() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "streamfx"
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4))
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
