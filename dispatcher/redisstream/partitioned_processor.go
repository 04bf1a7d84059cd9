package redisstream

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream/partition"
)

// defaultLeaseTTL is PartitionedConfig.LeaseTTL's default, the
// Coordinator's.
const defaultLeaseTTL = 10 * time.Second

// PartitionedConfig configures a PartitionedProcessor.
type PartitionedConfig struct {
	// Stream is the partitioned stream to consume (see partition.New);
	// required.
	Stream partition.Stream
	// Processor configures the Processor that reads each partition this
	// consumer owns. Group is required. Streams and DeadLetterStream must be
	// empty: each partition's Processor reads that partition and
	// dead-letters to its own dead-letter stream (partition.Stream
	// DeadLetter), in its slot. Consumer names this consumer both in the
	// consumer group and among the partitions' owners; if empty, a unique
	// name. Concurrency bounds the handlers running at once in this
	// consumer as a whole, over every partition it owns (each partition's
	// Processor has Concurrency workers, which share Concurrency slots: one
	// busy partition may use them all); BatchSize, OrderBuffer and
	// OrderKeyBuffer apply to each owned partition. Block must be below
	// LeaseTTL/4, so that a read started before this consumer counts a
	// lease lost ends before Redis gives the partition to another.
	Processor ProcessorConfig
	// LeaseTTL is how long a partition's lease lasts without renewal (see
	// partition.CoordinatorConfig). If zero, 10s.
	LeaseTTL time.Duration
}

// PartitionedProcessor consumes a partitioned stream as one member of a
// consumer group whose members share its partitions: a partition.Coordinator
// decides which partitions this consumer owns, and a Processor reads each
// owned partition, from the moment its lease is acquired until it is
// revoked or lost. On taking over a partition it first claims every entry
// the previous owners left pending (XCLAIM, in ID order), which its
// Processor then runs first, in ID order, before reading new entries; so,
// with one reader per partition, the events of a key keep their stream
// order across a handover (with Concurrency 1, or with OrderKey). Delivery stays at least once: entries a previous owner
// ran but did not acknowledge run again.
//
// A revoked partition's Processor stops gracefully (Processor.Shutdown:
// in-flight handlers finish and are acknowledged) before its lease is
// released. A lost partition's Processor is stopped at once, its handlers'
// context cancelled.
//
// A fatal error in one partition (its Processor stopped on it, such as a
// partition key that holds another type, or a takeover that met one) stops
// the whole PartitionedProcessor, as it stops a plain Processor: it leaves
// the group, every owned partition is revoked and its lease released, so
// that the other consumers take them over, then Done is closed and Err
// returns the error. Stopping only the failed partition would leave this
// consumer renewing a lease on a partition nobody reads, stalled for good.
// Redis outages are not fatal: the Coordinator retries every LeaseTTL/3 and
// the Processors with their backoff.
//
// The Redis client belongs to the caller: the PartitionedProcessor never
// closes it.
type PartitionedProcessor struct {
	rdb   redis.UniversalClient
	d     *dispatcher.Dispatcher
	cfg   PartitionedConfig
	log   *zap.Logger
	coord *partition.Coordinator
	limit limit // the handler slots every owned partition's Processor shares

	mu    sync.Mutex
	owned map[int]*ownedPartition // by partition
	err   error                   // the fatal error, see Err
	lost  sync.WaitGroup          // stops of lost partitions' Processors

	done     chan struct{} // see Done
	doneOnce sync.Once
}

// Validate reports the first problem that makes c unusable, wrapped in
// ErrInvalidConfig (see NewPartitionedProcessor). It is exported for the
// configuration layers above (package streamfx).
func (c PartitionedConfig) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults returns a copy of c with every zero value replaced by its
// default, or an error if c cannot be used: no partitioned stream,
// Processor.Streams or DeadLetterStream set, an unusable Processor config,
// or a Block not below LeaseTTL/4.
func (c PartitionedConfig) withDefaults() (PartitionedConfig, error) {
	pc := c.Processor
	switch {
	case c.Stream.Partitions() == 0:
		return c, fmt.Errorf("%w: no partitioned stream", ErrInvalidConfig)
	case len(pc.Streams) > 0 || pc.DeadLetterStream != "":
		return c, fmt.Errorf("%w: Processor.Streams and DeadLetterStream are set per partition", ErrInvalidConfig)
	case c.LeaseTTL < 0:
		return c, fmt.Errorf("%w: negative LeaseTTL", ErrInvalidConfig)
	}
	pc.Streams = []string{c.Stream.Key(0)} // to check the rest of the config
	pc, err := pc.withDefaults()
	if err != nil {
		return c, err
	}
	pc.Streams = nil
	c.LeaseTTL = cmp.Or(c.LeaseTTL, defaultLeaseTTL)
	if pc.Block >= c.LeaseTTL/4 {
		return c, fmt.Errorf("%w: Block %v is not below LeaseTTL/4 (%v)", ErrInvalidConfig, pc.Block, c.LeaseTTL/4)
	}
	c.Processor = pc
	return c, nil
}

// NewPartitionedProcessor validates cfg and returns a PartitionedProcessor
// that is not yet started.
func NewPartitionedProcessor(rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg PartitionedConfig) (*PartitionedProcessor, error) {
	if rdb == nil || d == nil {
		return nil, fmt.Errorf("%w: nil redis client or dispatcher", ErrInvalidConfig)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pc := cfg.Processor
	p := &PartitionedProcessor{rdb: rdb, d: d, cfg: cfg, owned: make(map[int]*ownedPartition),
		limit: make(limit, pc.Concurrency), done: make(chan struct{}),
		log: pc.Logger.With(zap.String("stream", cfg.Stream.Name()), zap.String("consumer_group", pc.Group),
			zap.String("consumer", pc.Consumer))}
	p.coord, err = partition.NewCoordinator(rdb, partition.CoordinatorConfig{
		Stream: cfg.Stream, Group: pc.Group, Consumer: pc.Consumer, LeaseTTL: cfg.LeaseTTL,
		Listener: listener{p}, Logger: pc.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return p, nil
}

// Start creates the consumer group on every partition if needed (MKSTREAM;
// an existing group is fine) and joins the partitions' owners; the
// partitions this consumer is assigned start being read in the
// background. It returns an error, and starts nothing, if Redis cannot be
// reached within ctx. ctx only bounds Start itself.
func (p *PartitionedProcessor) Start(ctx context.Context) error {
	for _, s := range p.cfg.Stream.Keys() {
		err := p.rdb.XGroupCreateMkStream(ctx, s, p.cfg.Processor.Group, p.cfg.Processor.StartID).Err()
		if err != nil && !isBusyGroup(err) {
			return fmt.Errorf("redisstream: create group %s on stream %s: %w", p.cfg.Processor.Group, s, err)
		}
	}
	return p.coord.Start(ctx)
}

// Shutdown stops gracefully: every owned partition is revoked, its
// Processor shut down within ctx (see Processor.Shutdown), and its lease
// released, so that the other consumers take the partitions at their next
// check; then Done is closed. It returns ctx.Err() if ctx ended first (the
// Processors still running are aborted, see Processor.Shutdown, and the
// leases not released expire after LeaseTTL); a Processor that did not
// stop cleanly is logged. Shutdown may be called before Start, during the
// stop that a fatal error started, and more than once.
func (p *PartitionedProcessor) Shutdown(ctx context.Context) error {
	err := p.coord.Shutdown(ctx)
	p.lost.Wait()
	p.doneOnce.Do(func() { close(p.done) })
	return err
}

// Config returns the configuration, with its defaults applied.
func (p *PartitionedProcessor) Config() PartitionedConfig { return p.cfg }

// Coordinator returns the Coordinator of this consumer's partitions, for
// its Status (owned and unowned partitions, rebalances, lease losses).
func (p *PartitionedProcessor) Coordinator() *partition.Coordinator { return p.coord }

// Owned returns the Processors of the partitions this consumer reads now,
// by partition.
func (p *PartitionedProcessor) Owned() map[int]*Processor {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int]*Processor, len(p.owned))
	for i, o := range p.owned {
		if proc := o.processor(); proc != nil {
			out[i] = proc
		}
	}
	return out
}

// Unread returns, in order, the partitions this consumer has owned for
// longer than maxAge that it did not read within maxAge: the takeover has
// not started their Processor yet (Redis keeps failing it), or their
// Processor has not read successfully since (see Processor.LastRead). A
// readiness check fails on them: the partitions have an owner, so no other
// consumer takes them, but nobody reads them.
func (p *PartitionedProcessor) Unread(maxAge time.Duration) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for i, o := range p.owned {
		if time.Since(o.since) <= maxAge {
			continue
		}
		if proc := o.processor(); proc == nil || time.Since(proc.LastRead()) > maxAge {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}
