package booking

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrNotFound is returned by Repository.Confirm for an unknown booking.
var ErrNotFound = errors.New("booking: not found")

// Status is the state of a booking.
type Status string

// Booking states.
const (
	Requested Status = "requested"
	Confirmed Status = "confirmed"
)

// Booking is one stored booking.
type Booking struct {
	ID       string
	Guest    string
	Room     string
	Nights   int
	Status   Status
	ChargeID string
}

// Repository stores bookings. Its methods are idempotent, because a handler
// may run twice for one event (delivery is at-least-once).
type Repository interface {
	// Save stores b unless a booking with its ID exists (then it is a
	// no-op, so a redelivered request does not reset a confirmation).
	Save(ctx context.Context, b Booking) error
	// Confirm marks booking id confirmed with its charge.
	Confirm(ctx context.Context, id, chargeID string) error
	// Get returns booking id.
	Get(ctx context.Context, id string) (Booking, error)
}

// MemoryRepository is a Repository in memory, safe for concurrent use.
type MemoryRepository struct {
	mu       sync.Mutex
	bookings map[string]Booking
}

// NewMemoryRepository returns an empty MemoryRepository.
func NewMemoryRepository() *MemoryRepository {
	return &MemoryRepository{bookings: map[string]Booking{}}
}

// Save implements Repository.
func (r *MemoryRepository) Save(_ context.Context, b Booking) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.bookings[b.ID]; !ok {
		b.Status = Requested
		r.bookings[b.ID] = b
	}
	return nil
}

// Confirm implements Repository.
func (r *MemoryRepository) Confirm(_ context.Context, id, chargeID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.bookings[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	b.Status, b.ChargeID = Confirmed, chargeID
	r.bookings[id] = b
	return nil
}

// Get implements Repository.
func (r *MemoryRepository) Get(_ context.Context, id string) (Booking, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.bookings[id]
	if !ok {
		return Booking{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return b, nil
}
