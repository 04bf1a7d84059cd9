package payments

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Errors of the sandbox Gateway.
var (
	// ErrUnavailable is a temporary failure: trying again later can work.
	ErrUnavailable = errors.New("payments: gateway temporarily unavailable")
	// ErrDeclined is final: the card will not pay.
	ErrDeclined = errors.New("payments: card declined")
)

// Sandbox card tokens.
const (
	CardOK       = "tok_visa"     // pays
	CardFlaky    = "tok_flaky"    // fails twice with ErrUnavailable, then pays
	CardDeclined = "tok_declined" // fails with ErrDeclined
)

// flakyFailures is how many times a CardFlaky charge fails before it pays.
const flakyFailures = 2

// Gateway charges cards.
type Gateway interface {
	// Charge charges amountEUR for booking and returns the charge ID. It is
	// idempotent per booking: charging a paid booking again returns the
	// same charge ID and charges nothing.
	Charge(ctx context.Context, booking, card string, amountEUR int) (string, error)
}

// SandboxGateway is a Gateway in memory whose behaviour depends on the card
// token, like a payment provider's test mode.
type SandboxGateway struct {
	mu       sync.Mutex
	attempts map[string]int    // booking -> charge calls
	charges  map[string]string // booking -> charge ID
}

// NewSandboxGateway returns a SandboxGateway with no charges.
func NewSandboxGateway() *SandboxGateway {
	return &SandboxGateway{attempts: map[string]int{}, charges: map[string]string{}}
}

// Charge implements Gateway.
func (g *SandboxGateway) Charge(ctx context.Context, booking, card string, amountEUR int) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if id, ok := g.charges[booking]; ok {
		return id, nil
	}
	g.attempts[booking]++
	switch {
	case card == CardDeclined:
		return "", fmt.Errorf("%w: booking %s", ErrDeclined, booking)
	case card == CardFlaky && g.attempts[booking] <= flakyFailures:
		return "", fmt.Errorf("%w (call %d for booking %s)", ErrUnavailable, g.attempts[booking], booking)
	case card != CardOK && card != CardFlaky:
		return "", fmt.Errorf("%w: unknown card token %q", ErrDeclined, card)
	}
	id := fmt.Sprintf("ch_%s_%d", booking, amountEUR)
	g.charges[booking] = id
	return id, nil
}
