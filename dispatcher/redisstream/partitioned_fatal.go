package redisstream

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// Done returns a channel that is closed when the PartitionedProcessor has
// stopped: once Shutdown returned, or once a fatal error (see Err) stopped
// it and its partitions were released.
func (p *PartitionedProcessor) Done() <-chan struct{} { return p.done }

// Err returns the fatal error that stopped the PartitionedProcessor in the
// background: a partition's Processor stopped on a fatal error (see
// Processor.Err), or a takeover met one; the error names the partition. It
// is nil while running and after a clean Shutdown.
func (p *PartitionedProcessor) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// watch waits for proc, the Processor of partition i, to stop, and stops
// the PartitionedProcessor if proc stopped on a fatal error.
func (p *PartitionedProcessor) watch(i int, proc *Processor) {
	<-proc.Done()
	if err := proc.Err(); err != nil {
		p.fail(i, err)
	}
}

// fail records err, the fatal error of partition i, as the
// PartitionedProcessor's (the first one wins) and, the first time, stops
// it in the background as Shutdown does, within LeaseTTL (the leases not
// released by then expire anyway).
func (p *PartitionedProcessor) fail(i int, err error) {
	err = fmt.Errorf("redisstream: partition %d of %s: %w", i, p.cfg.Stream.Name(), err)
	p.mu.Lock()
	first := p.err == nil
	if first {
		p.err = err
	}
	p.mu.Unlock()
	if !first {
		return
	}
	p.log.Error("partitioned processor stopped by a fatal error; releasing its partitions", zap.Error(err))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.LeaseTTL)
		defer cancel()
		_ = p.Shutdown(ctx) // its error is ctx's: the leases not released expire
	}()
}
