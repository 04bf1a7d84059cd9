package partition

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

const defaultLeaseTTL = 10 * time.Second

// CoordinatorConfig configures a Coordinator.
type CoordinatorConfig struct {
	// Stream is the partitioned stream; required.
	Stream Stream
	// Group is the consumer group whose consumers share the partitions;
	// required.
	Group string
	// Consumer is this consumer's name in the group; required, and unique
	// among the group's live consumers.
	Consumer string
	// LeaseTTL is how long a partition's lease and a consumer's membership
	// last without renewal. Both are renewed every LeaseTTL/3; a consumer
	// that could not renew a lease for 3/4 LeaseTTL counts it as lost and
	// stops reading, before Redis lets another consumer take it. A dead
	// consumer's partitions move within about 4/3 LeaseTTL. If zero, 10s;
	// at least 30ms.
	LeaseTTL time.Duration
	// Listener is told of every ownership change. If nil, nothing is told:
	// the Coordinator only holds leases.
	Listener Listener
	// Logger receives the Coordinator's logs. If nil, zap.NewNop().
	Logger *zap.Logger
}

// Status is a Coordinator's view of its group at its last check, and of
// its own partitions now.
type Status struct {
	// Members are the live consumers of the group, sorted.
	Members []string
	// Owned are the partitions this consumer holds now, in order: each
	// from the moment its lease is acquired (before Listener.Assigned) to
	// the moment it is released (after Revoked returned) or lost (before
	// Listener.Lost), and none once Shutdown returned.
	Owned []int
	// Unowned are the partitions no consumer held at the last check, in
	// order; a partition whose owner died stays owned until its lease
	// expires.
	Unowned []int
	// UnownedSince is the time of the first of the consecutive checks that
	// found unowned partitions; zero while every partition has an owner.
	UnownedSince time.Time
	// Rebalances counts the times this consumer's partitions changed:
	// checks that acquired or started to revoke partitions, and losses.
	Rebalances int64
	// LeaseLosses counts the leases this consumer lost.
	LeaseLosses int64
	// At is the time of the last check that reached Redis, or zero.
	At time.Time
}

// Coordinator owns partitions of a partitioned stream for one consumer of
// a group, like a Kafka group member: it keeps the consumer's membership
// alive (a heartbeat in a Redis sorted set), computes a balanced, sticky
// assignment of the partitions over the live members (each holds ⌊P/n⌋ or
// ⌈P/n⌉), and holds a lease per assigned partition, with a fencing token.
// A joining member takes its share as others revoke theirs; a member that
// leaves (Shutdown) releases its leases at once; the leases of a member
// that died expire. Every rebalance completes within 2×LeaseTTL (see
// CoordinatorConfig.LeaseTTL). See Listener for what the consumer is told,
// and ownership for each partition's states.
//
// All consumers compute the same assignment from the same members and
// owners, without a leader; while their views differ, leases keep each
// partition with at most one consumer, and the next checks converge.
//
// The Redis client belongs to the caller: the Coordinator never closes it.
type Coordinator struct {
	rdb redis.UniversalClient
	cfg CoordinatorConfig
	log *zap.Logger

	lostAfter time.Duration // a lease not renewed for this long counts as lost
	revoked   chan int      // partitions whose Revoked returned; capacity P
	leave     chan struct{} // closed by Shutdown
	done      chan struct{} // closed when the loop has exited
	revokes   sync.WaitGroup
	failing   bool // the last check failed; the loop's own

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc // cancels the loop's context
	parts   []part             // see table.go
	status  Status
}

// NewCoordinator validates cfg and returns a Coordinator that is not yet
// started.
func NewCoordinator(rdb redis.UniversalClient, cfg CoordinatorConfig) (*Coordinator, error) {
	switch {
	case rdb == nil:
		return nil, fmt.Errorf("%w: nil redis client", ErrInvalid)
	case cfg.Stream.Partitions() == 0:
		return nil, fmt.Errorf("%w: no stream (use New)", ErrInvalid)
	case cfg.Group == "" || cfg.Consumer == "":
		return nil, fmt.Errorf("%w: empty group or consumer", ErrInvalid)
	case cfg.LeaseTTL != 0 && cfg.LeaseTTL < 30*time.Millisecond:
		return nil, fmt.Errorf("%w: LeaseTTL %v below 30ms", ErrInvalid, cfg.LeaseTTL)
	}
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, defaultLeaseTTL)
	if cfg.Listener == nil {
		cfg.Listener = noListener{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	p := cfg.Stream.Partitions()
	return &Coordinator{
		rdb: rdb, cfg: cfg,
		log: cfg.Logger.With(zap.String("stream", cfg.Stream.Name()),
			zap.String("consumer_group", cfg.Group), zap.String("consumer", cfg.Consumer)),
		lostAfter: cfg.LeaseTTL * 3 / 4,
		revoked:   make(chan int, p),
		leave:     make(chan struct{}),
		done:      make(chan struct{}),
		parts:     make([]part, p),
	}, nil
}

// Start joins the group (a first heartbeat, which fails if Redis cannot be
// reached within ctx) and starts the loop that acquires, renews and
// revokes leases in the background. ctx only bounds Start itself. Start
// on a started Coordinator does nothing; after Shutdown it returns
// ErrClosed.
func (c *Coordinator) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	case c.started:
		return nil
	}
	if _, err := heartbeat(ctx, c.rdb, c.membersKey(), c.cfg.Consumer, c.cfg.LeaseTTL); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	c.started, c.cancel = true, cancel
	go c.run(loopCtx)
	return nil
}

// Shutdown leaves the group gracefully: it stops acquiring, removes this
// consumer from the members (so the others reassign its partitions at
// their next check), revokes every partition it holds (Listener.Revoked,
// with ctx) and releases each lease as soon as its Revoked returns. If ctx
// ends first, the Revoked calls' context is cancelled, the leases not yet
// released are left to expire, and Shutdown returns ctx.Err() once the
// loop and the Revoked calls returned. Shutdown may be called before Start
// and more than once.
func (c *Coordinator) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	started, first := c.started, !c.closed
	if first {
		c.closed = true
		close(c.leave)
	}
	c.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		c.cancel()
		<-c.done
		return ctx.Err()
	}
}

// Status returns the Coordinator's view at its last check, with the
// partitions it owns now.
func (c *Coordinator) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.status
	s.Members = slices.Clone(s.Members)
	s.Owned = slices.Clone(s.Owned)
	s.Unowned = slices.Clone(s.Unowned)
	return s
}

// Config returns the configuration, with its defaults applied.
func (c *Coordinator) Config() CoordinatorConfig { return c.cfg }

// Holds reports whether this consumer still holds lease, as far as it
// knows: the lease was renewed within the last 3/4 LeaseTTL and has not
// been released, and Shutdown has not returned. A PartitionedProcessor's
// readers and reclaimer check it before each read and claim of the
// partition, so that a consumer that paused past its lease takes nothing
// more from it; it is no fence (see Ack): another consumer may hold the
// lease in Redis already.
func (c *Coordinator) Holds(lease Lease) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.parts[lease.Partition]
	return p.lease.Token == lease.Token && p.holds(time.Now())
}

// Ack acknowledges ids of lease's partition stream in the group, in one
// Lua script that first checks that the lease still holds in Redis: once
// another consumer took the partition, nothing is acknowledged and Ack
// returns an error wrapping ErrLeaseLost. It returns XACK's count.
func (c *Coordinator) Ack(ctx context.Context, lease Lease, ids ...string) (int64, error) {
	return fencedAck(ctx, c.rdb, c.cfg.Group, lease, ids)
}

// membersKey returns the key of the group's membership set.
func (c *Coordinator) membersKey() string { return c.cfg.Stream.membersKey(c.cfg.Group) }

// AckPipelined queues on pipe the fenced acknowledgement of ids (see Ack),
// for a caller that batches its commands: the command's reply is XACK's
// count, or -1 when the lease no longer holds in Redis (nothing was
// acknowledged). The script is sent whole (EVAL), since a pipeline cannot
// fall back from EVALSHA.
func (c *Coordinator) AckPipelined(ctx context.Context, pipe redis.Pipeliner, lease Lease, ids ...string) *redis.Cmd {
	return ackScript.Eval(ctx, pipe, []string{lease.key, lease.Stream}, ackArgs(c.cfg.Group, lease, ids)...)
}
