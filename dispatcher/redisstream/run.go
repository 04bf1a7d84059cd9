package redisstream

import "context"

// run is the background machinery of a started Processor.
type run struct {
	p *Processor
}

func newRun(p *Processor) *run { return &run{p: p} }

func (r *run) start() {}

func (r *run) shutdown(ctx context.Context) error {
	r.p.mu.Lock()
	close(r.p.done)
	r.p.mu.Unlock()
	return nil
}

func (r *run) waitStopped(ctx context.Context) error {
	select {
	case <-r.p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
