package partition

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// run is the Coordinator's loop: a check every LeaseTTL/3, a release as
// each Revoked returns, and the loss of every lease whose local deadline
// passed. Once Shutdown was called it leaves the members, revokes
// everything and exits when every lease is released; when ctx ends
// (Shutdown's context ended) it revokes what is still held with the ended
// ctx and exits without releasing. Either way it returns after every
// Revoked call returned, holding nothing (see abandon).
func (c *Coordinator) run(ctx context.Context) {
	defer close(c.done)
	defer c.abandon()
	defer c.revokes.Wait()
	ticker := time.NewTicker(c.cfg.LeaseTTL / 3)
	defer ticker.Stop()
	expiry := time.NewTimer(c.cfg.LeaseTTL)
	defer expiry.Stop()
	leave, leaving := c.leave, false
	for {
		c.checkOnce(ctx, leaving)
		expiry.Reset(c.nextDeadline(time.Now()))
		for due := false; !due; {
			if leaving && c.count(held, revoking) == 0 {
				return
			}
			select {
			case <-ctx.Done():
				// Shutdown's context ended, maybe before this loop saw
				// leave: revoke what is still held, with the ended ctx, so
				// that each partition's Processor stops at once (an
				// aborted stop; the leases expire) instead of reading on
				// after Shutdown returned.
				c.revokeAll(ctx)
				return
			case <-leave:
				leave, leaving = nil, true
				c.depart(ctx)
				c.revokeAll(ctx)
			case <-ticker.C:
				due = true
			case i := <-c.revoked:
				c.release(ctx, i)
			case <-expiry.C:
				c.expire(time.Now())
				expiry.Reset(c.nextDeadline(time.Now()))
			}
		}
	}
}

// checkOnce runs check between two expiries, and logs when Redis becomes
// unreachable and when it answers again.
func (c *Coordinator) checkOnce(ctx context.Context, leaving bool) {
	c.expire(time.Now())
	err := c.check(ctx, leaving)
	c.expire(time.Now())
	switch {
	case err != nil && !c.failing:
		c.log.Warn("partition coordinator cannot reach Redis; retrying every LeaseTTL/3", zap.Error(err))
		c.failing = true
	case err == nil && c.failing:
		c.log.Info("partition coordinator reaches Redis again")
		c.failing = false
	}
}

// check is one round: heartbeat (unless leaving), renew the held leases,
// read every partition's owner, then revoke what the assignment gives to
// others and acquire what it gives to this consumer that nobody holds.
func (c *Coordinator) check(ctx context.Context, leaving bool) error {
	me := c.cfg.Consumer
	if leaving {
		me = "" // refresh nothing: this consumer left the members
	}
	members, err := heartbeat(ctx, c.rdb, c.membersKey(), me, c.cfg.LeaseTTL)
	if err != nil {
		return err
	}
	if err := c.renew(ctx); err != nil {
		return err
	}
	owners, err := c.owners(ctx)
	if err != nil {
		return err
	}
	changed := false
	if !leaving {
		mine := make(map[int]bool)
		for _, i := range assign(len(owners), members, owners)[me] {
			mine[i] = true
		}
		for i, p := range c.snapshot() {
			if p.state == held && !mine[i] {
				c.revoke(ctx, i, c.cfg.LeaseTTL)
				changed = true
			}
		}
		acquired, err := c.acquire(ctx, mine, owners)
		if err != nil {
			return err
		}
		for _, i := range acquired {
			owners[i] = me
		}
		changed = changed || len(acquired) > 0
	}
	c.record(members, owners, changed)
	return nil
}

// renew extends every lease in held or revoking state, in one pipeline.
// A lease found gone or someone else's is lost; one whose renewal failed
// keeps its deadline (expire decides).
func (c *Coordinator) renew(ctx context.Context) error {
	var idx []int
	var cmds []*redis.Cmd
	sent := time.Now()
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, p := range c.snapshot() {
			if p.state == held || p.state == revoking {
				idx = append(idx, i)
				cmds = append(cmds, renewScript.Eval(ctx, pipe, []string{p.lease.key}, p.lease.value, c.cfg.LeaseTTL.Milliseconds()))
			}
		}
		return nil
	})
	for k, cmd := range cmds {
		n, cerr := cmd.Int64()
		switch {
		case cerr != nil:
		case n == 1:
			c.update(idx[k], func(p *part) { p.until = sent.Add(c.lostAfter) })
		default:
			c.lose(idx[k], "the lease is gone or another consumer's")
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	return nil
}

// owners reads the consumer holding each partition's lease ("" for none),
// in one pipeline. A lease key that Redis refuses to read (an error reply,
// such as WRONGTYPE for a key of another type) is logged and counts as no
// owner: it shows as unowned, nobody can take it while the reply lasts
// (see acquire), and the other partitions are assigned as usual, instead
// of every check failing on it.
func (c *Coordinator) owners(ctx context.Context) ([]string, error) {
	s := c.cfg.Stream
	cmds := make([]*redis.StringCmd, s.Partitions())
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range cmds {
			cmds[i] = pipe.Get(ctx, s.leaseKey(i, c.cfg.Group))
		}
		return nil
	})
	if err != nil && !isReply(err) {
		return nil, err
	}
	out := make([]string, len(cmds))
	for i, cmd := range cmds {
		v, cerr := cmd.Result()
		switch {
		case cerr == nil:
			out[i] = owner(v)
		case errors.Is(cerr, redis.Nil):
		case isReply(cerr):
			c.log.Error("partition lease unreadable; the partition counts as unowned",
				zap.Int("partition", i), zap.String("key", s.leaseKey(i, c.cfg.Group)), zap.Error(cerr))
		default:
			return nil, cerr
		}
	}
	return out, nil
}

// isReply reports whether err is an error reply of Redis itself (such as
// WRONGTYPE, or redis.Nil), not a failure to reach it.
func isReply(err error) bool {
	var reply redis.Error
	return errors.As(err, &reply)
}

// acquire takes, in one pipeline, the lease of every partition in mine
// that this consumer does not hold and nobody else holds, tells the
// Listener of each acquired one, and returns them.
func (c *Coordinator) acquire(ctx context.Context, mine map[int]bool, owners []string) ([]int, error) {
	s := c.cfg.Stream
	var idx []int
	var cmds []*redis.Cmd
	sent := time.Now()
	_, err := c.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, p := range c.snapshot() {
			if mine[i] && p.state == free && owners[i] == "" {
				idx = append(idx, i)
				cmds = append(cmds, acquireScript.Eval(ctx, pipe,
					[]string{s.leaseKey(i, c.cfg.Group), s.tokenKey(i, c.cfg.Group)},
					c.cfg.Consumer, c.cfg.LeaseTTL.Milliseconds()))
			}
		}
		return nil
	})
	var acquired []int
	for k, cmd := range cmds {
		token, cerr := cmd.Int64()
		if cerr != nil && isReply(cerr) {
			c.log.Error("partition lease not acquired: Redis refused the script",
				zap.Int("partition", idx[k]), zap.Error(cerr))
		}
		if cerr != nil || token <= 0 {
			continue // taken meanwhile, or Redis failed: the next check sees
		}
		i := idx[k]
		l := Lease{Partition: i, Stream: s.Key(i), Token: token, key: s.leaseKey(i, c.cfg.Group)}
		l.value = formatLease(token, c.cfg.Consumer)
		c.update(i, func(p *part) { *p = part{state: held, lease: l, until: sent.Add(c.lostAfter)} })
		c.log.Info("partition assigned", zap.Int("partition", i), zap.Int64("token", token))
		c.cfg.Listener.Assigned(l)
		acquired = append(acquired, i)
	}
	return acquired, err
}

// revoke moves held partition i to revoking and runs Listener.Revoked in a
// goroutine, with a context that ends after bound (if > 0) or with ctx;
// when it returns, the loop releases the lease.
func (c *Coordinator) revoke(ctx context.Context, i int, bound time.Duration) {
	var l Lease
	c.update(i, func(p *part) { p.state, l = revoking, p.lease })
	c.log.Info("partition revoked", zap.Int("partition", i), zap.Int64("token", l.Token))
	c.revokes.Go(func() {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if bound > 0 {
			rctx, cancel = context.WithTimeout(ctx, bound)
		}
		defer cancel()
		c.cfg.Listener.Revoked(rctx, l)
		c.revoked <- i // capacity P: one revoke per partition at a time
	})
}

// revokeAll revokes every held partition, bound only by ctx (Shutdown's).
func (c *Coordinator) revokeAll(ctx context.Context) {
	for i, p := range c.snapshot() {
		if p.state == held {
			c.revoke(ctx, i, 0)
		}
	}
}

// release ends the revoke of partition i: the lease, if still held, is
// deleted (if still ours in Redis) so the next owner takes it at its next
// check; a partition lost meanwhile just becomes free.
func (c *Coordinator) release(ctx context.Context, i int) {
	p := c.snapshot()[i]
	c.update(i, func(p *part) { p.state = free })
	if p.state != revoking {
		return
	}
	if err := releaseScript.Eval(ctx, c.rdb, []string{p.lease.key}, p.lease.value).Err(); err != nil {
		c.log.Warn("partition lease not released; it expires after LeaseTTL",
			zap.Int("partition", i), zap.Error(err))
		return
	}
	c.log.Info("partition released", zap.Int("partition", i), zap.Int64("token", p.lease.Token))
}

// expire counts as lost every lease not renewed by its deadline.
func (c *Coordinator) expire(now time.Time) {
	for i, p := range c.snapshot() {
		if (p.state == held || p.state == revoking) && !now.Before(p.until) {
			c.lose(i, "not renewed in time")
		}
	}
}

// lose moves partition i from held to free, or from revoking to lost, and
// tells the Listener.
func (c *Coordinator) lose(i int, why string) {
	c.mu.Lock()
	p := &c.parts[i]
	l := p.lease
	if p.state == revoking {
		p.state = lost
	} else {
		p.state = free
	}
	c.status.LeaseLosses++
	c.status.Rebalances++
	c.status.Owned = c.ownedLocked()
	c.mu.Unlock()
	c.log.Warn("partition lease lost", zap.Int("partition", i), zap.Int64("token", l.Token), zap.String("why", why))
	c.cfg.Listener.Lost(l)
}

// abandon, once the loop exited and every Revoked returned, lets go of the
// leases still recorded as held or being revoked, those that Shutdown's
// context ended before they were released: nothing renews them any more,
// they expire, and this consumer owns none of them (Status, Holds).
func (c *Coordinator) abandon() {
	c.mu.Lock()
	var left []int
	for i, p := range c.parts {
		if p.state == held || p.state == revoking {
			left = append(left, i)
		}
		c.parts[i].state = free
	}
	c.status.Owned = nil
	c.mu.Unlock()
	if len(left) > 0 {
		c.log.Warn("partition leases not released at shutdown; they expire after LeaseTTL", zap.Ints("partitions", left))
	}
}

// depart removes this consumer from the members, and its checks stop
// adding it back: the others reassign its partitions at their next check
// instead of after LeaseTTL, and take each one as soon as it is released.
func (c *Coordinator) depart(ctx context.Context) {
	if err := c.rdb.ZRem(ctx, c.membersKey(), c.cfg.Consumer).Err(); err != nil {
		c.log.Warn("partition coordinator could not leave the members; it expires after LeaseTTL", zap.Error(err))
	}
}
