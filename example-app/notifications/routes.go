package notifications

import (
	"context"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/example-app/events"
)

// Group is the logical group of the notification routes.
const Group = "notifications"

// Notifier is one handler mounted on several routes: it emails the guest
// about any booking event that carries an "email" field.
type Notifier struct {
	mailer Mailer
}

// NewNotifier returns a Notifier sending through m.
func NewNotifier(m Mailer) *Notifier { return &Notifier{mailer: m} }

// Handle implements dispatcher.Handler. Sending twice is possible (delivery
// is at-least-once); a real mailer would deduplicate on the message ID.
func (n *Notifier) Handle(ctx context.Context, msg *dispatcher.Message) error {
	var p struct {
		BookingID string `json:"booking_id"`
		Email     string `json:"email"`
	}
	if err := msg.Decode(&p); err != nil {
		return err // a decode error is permanent: dead-lettered
	}
	if p.Email == "" {
		return dispatcher.Permanent(fmt.Errorf("notifications: %s %s has no email", msg.Type, msg.ID))
	}
	subject := fmt.Sprintf("Booking %s: %s", p.BookingID, msg.Type)
	return n.mailer.Send(ctx, p.Email, subject)
}

// NewRequestedRoute mounts the Notifier on booking requests.
func NewRequestedRoute(n *Notifier) dispatcher.Route {
	return dispatcher.Route{Type: events.BookingRequested, Name: "notifications.booking_requested",
		Group: Group, Handler: n}
}

// NewConfirmedRoute mounts the same Notifier on confirmations.
func NewConfirmedRoute(n *Notifier) dispatcher.Route {
	return dispatcher.Route{Type: events.BookingConfirmed, Name: "notifications.booking_confirmed",
		Group: Group, Handler: n}
}

// subscribers is how many emails a newsletter run sends.
const subscribers = 10

// NewNewsletterRoute returns the slow newsletter route: it sends one email
// per subscriber, 50ms apart, and stops early if its context is cancelled.
func NewNewsletterRoute(m Mailer) dispatcher.Route {
	send := func(ctx context.Context, _ *dispatcher.Message, nl events.Newsletter) error {
		for i := range subscribers {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if err := m.Send(ctx, fmt.Sprintf("subscriber%02d@example.com", i+1), nl.Subject); err != nil {
				return err
			}
		}
		return nil
	}
	return dispatcher.Route{Type: events.NewsletterRequested, Name: "notifications.newsletter",
		Group: Group, Handler: dispatcher.Typed(send)}
}
