package partition

import (
	"context"
	"time"
)

// ownership is the state of one partition as this consumer sees it. The
// transitions, each made by the Coordinator's loop:
//
//	free     -> held      lease acquired (SET NX PX, new token); Listener.Assigned
//	held     -> revoking  the assignment gives the partition to another member,
//	                      or this consumer leaves; Listener.Revoked starts
//	revoking -> free      Revoked returned; the lease is released (DEL if
//	                      still ours), so the next owner takes it at once
//	held     -> free      lease lost: a renewal found it gone or someone
//	                      else's, or it was not renewed for lostAfter;
//	                      Listener.Lost
//	revoking -> lost      lease lost while Revoked runs; Listener.Lost
//	lost     -> free      Revoked returned (nothing to release)
//	any      -> free      the loop exits (Shutdown) with leases not
//	                      released because Shutdown's context ended: they
//	                      expire (see abandon)
//
// A lease is renewed in held and revoking, and in no other state.
type ownership int

const (
	free ownership = iota
	held
	revoking
	lost
)

// String returns the state's name.
func (o ownership) String() string {
	return [...]string{"free", "held", "revoking", "lost"}[o]
}

// part is this consumer's view of one partition.
type part struct {
	state ownership
	lease Lease     // in held and revoking (and lost: the lease that was lost)
	until time.Time // held and revoking: the lease counts as lost after this
}

// holds reports whether the lease is held: state held or revoking, and not
// past its local deadline.
func (p part) holds(now time.Time) bool {
	return (p.state == held || p.state == revoking) && now.Before(p.until)
}

// Listener is told of a Coordinator's ownership changes. Assigned and Lost
// are called from the Coordinator's loop, one call at a time, and must
// return quickly; Revoked runs in a goroutine of its own. For a given
// partition the calls come in the order Assigned, then Revoked or Lost
// (both when the lease is lost while Revoked runs), and a partition is
// assigned again only after Revoked returned.
type Listener interface {
	// Assigned tells that this consumer now holds lease: it should start
	// reading the partition, first the entries its previous owners left
	// pending, in ID order, then new ones.
	Assigned(lease Lease)
	// Revoked tells that the partition is assigned to another consumer,
	// or that this consumer leaves: it should stop reading, finish or
	// give up the entries in flight, acknowledge (Coordinator.Ack) what
	// finished, and return. The lease stays valid, renewed, until Revoked
	// returns, then it is released so that the next owner takes over. ctx
	// ends after LeaseTTL, or when Shutdown's context ends if this consumer
	// leaves; Revoked must return soon after.
	Revoked(ctx context.Context, lease Lease)
	// Lost tells that the lease expired or another consumer holds it: the
	// next owner may already be reading the partition. Stop reading it at
	// once; Coordinator.Ack with this lease fails from now on.
	Lost(lease Lease)
}

// noListener is the Listener of a Coordinator configured without one.
type noListener struct{}

func (noListener) Assigned(Lease)                 {}
func (noListener) Revoked(context.Context, Lease) {}
func (noListener) Lost(Lease)                     {}
