package redisstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
)

// Processor state, guarded by Processor.mu.
const (
	stateNew = iota
	stateStarting
	stateRunning
	stateClosed
)

// Processor consumes streams through a Redis consumer group and feeds every
// entry to a dispatcher.Dispatcher.
//
// Delivery is at least once: an entry is acknowledged only after its routes
// succeeded, were handed to the RetryScheduler, or were dead-lettered. An
// entry whose handling failed stays pending and is redelivered by the reclaim
// loop once idle for MinIdle, up to MaxDeliveries deliveries; then it goes to
// the dead-letter stream. Handlers must therefore be idempotent.
//
// The Redis client belongs to the caller: the Processor never closes it.
type Processor struct {
	rdb redis.UniversalClient
	d   *dispatcher.Dispatcher
	cfg ProcessorConfig
	log *zap.Logger

	mu    sync.Mutex
	state int
	err   error         // fatal background error
	done  chan struct{} // closed when stopped
	run   *run          // the background machinery, once started

	lastRead atomic.Int64 // UnixNano of the last successful XREADGROUP; see LastRead
}

// NewProcessor validates cfg, applies its defaults and returns a Processor
// that is not yet started. rdb may be a single node, Sentinel or Cluster
// client.
func NewProcessor(rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg ProcessorConfig) (*Processor, error) {
	if rdb == nil || d == nil {
		return nil, fmt.Errorf("%w: nil redis client or dispatcher", ErrInvalidConfig)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log := c.Logger.With(zap.String("group", c.Group), zap.String("consumer", c.Consumer))
	return &Processor{rdb: rdb, d: d, cfg: c, log: log, done: make(chan struct{})}, nil
}

// Config returns the configuration with its defaults applied.
func (p *Processor) Config() ProcessorConfig {
	c := p.cfg
	c.Streams = append([]string(nil), c.Streams...)
	return c
}

// Start creates the consumer group of every stream if needed (creating the
// stream too; an existing group is fine) and starts consuming in the
// background. It returns an error, and starts nothing, if Redis cannot be
// reached within ctx. Start on a running Processor does nothing (it returns
// the fatal error, if one stopped it); after Shutdown it returns
// ErrClosed. ctx only bounds Start itself.
func (p *Processor) Start(ctx context.Context) error {
	p.mu.Lock()
	switch p.state {
	case stateClosed:
		p.mu.Unlock()
		return ErrClosed
	case stateStarting, stateRunning:
		err := p.err // a fatal error, if the background stopped
		p.mu.Unlock()
		return err
	}
	p.state = stateStarting
	p.mu.Unlock()

	err := p.createGroups(ctx)

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return ErrClosed
	}
	if err != nil {
		p.state = stateNew
		return err
	}
	p.state = stateRunning
	p.warnSmallPool()
	p.run = newRun(p)
	p.run.start()
	return nil
}

// createGroups creates every stream's group (MKSTREAM; BUSYGROUP is fine).
func (p *Processor) createGroups(ctx context.Context) error {
	for _, s := range p.cfg.Streams {
		if err := p.createGroup(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) createGroup(ctx context.Context, stream string) error {
	err := p.rdb.XGroupCreateMkStream(ctx, stream, p.cfg.Group, p.cfg.StartID).Err()
	if err != nil && !isBusyGroup(err) {
		return fmt.Errorf("redisstream: create group %s on stream %s: %w", p.cfg.Group, stream, err)
	}
	return nil
}

// Shutdown stops the Processor gracefully: it stops reading, lets the
// handlers in flight finish, acknowledges what finished, and leaves every
// other entry pending for a later delivery. The entries read but not
// started are then handed back, in one pipeline of at most 2s: XCLAIM
// ... IDLE MinIdle JUSTID makes them look idle, so the next reclaim of any
// consumer whose MinIdle is not longer takes them over without waiting
// MinIdle (the delivery of their read still counts). An entry another
// consumer claimed meanwhile is left to it. If ctx ends first, the
// handlers' context is cancelled, their results are discarded (the entries
// stay pending), what finished before is still acknowledged, nothing is
// handed back, and Shutdown returns ctx.Err(). Nothing is handed back
// either when the final acknowledgement failed (Redis is away). Neither the
// final acknowledgement (up to 5s) nor the hand-back (up to 2s) depends on
// ctx: Shutdown can return that much later than ctx ends.
//
// Every goroutine the Processor started has exited when Shutdown returns,
// except handlers that ignore their cancelled context for more than half a
// second (their results are discarded). Shutdown may be called before
// Start, concurrently with it, and more than once.
func (p *Processor) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	r := p.run
	if p.state != stateRunning {
		if p.state != stateClosed {
			p.state = stateClosed
			close(p.done)
		}
		p.mu.Unlock()
		if r != nil {
			return r.waitStopped(ctx)
		}
		return nil
	}
	p.state = stateClosed
	p.mu.Unlock()
	return r.shutdown(ctx)
}

// Done returns a channel that is closed when the Processor has stopped, after
// Shutdown or a fatal error (see Err).
func (p *Processor) Done() <-chan struct{} { return p.done }

// Err returns the fatal error that stopped the Processor in the background,
// such as a stream key that holds another type. It is nil while running and
// after a clean Shutdown.
func (p *Processor) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// fatal records err as the Processor's fatal error and stops reading.
func (p *Processor) fatal(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.log.Error("processor stopped by a fatal error", zap.Error(err))
}
