package booking

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/example-app/events"
)

// Group is the logical group of the booking routes (see
// streamfx.Config.EnabledGroups).
const Group = "booking"

// nightlyRateEUR is the price list used by quotes.
func nightlyRateEUR(room string) (int, bool) {
	switch room {
	case "standard":
		return 90, true
	case "sea-view":
		return 120, true
	case "suite":
		return 250, true
	}
	return 0, false
}

// NewRouter returns the booking routes; fx injects the repository, the
// publisher (for replies) and the logger.
func NewRouter(repo Repository, pub *redisstream.Publisher, log *zap.Logger) *dispatcher.Router {
	h := &handlers{repo: repo, pub: pub, log: log}
	r := dispatcher.NewRouter()
	r.On(events.BookingRequested, dispatcher.Typed(h.store),
		dispatcher.Named("booking.store"), dispatcher.InGroup(Group))
	r.On(events.BookingConfirmed, dispatcher.Typed(h.confirm),
		dispatcher.Named("booking.confirm"), dispatcher.InGroup(Group))
	r.On(events.QuoteRequested, dispatcher.Typed(h.quote),
		dispatcher.Named("booking.quote"), dispatcher.InGroup(Group))
	return r
}

type handlers struct {
	repo Repository
	pub  *redisstream.Publisher
	log  *zap.Logger
}

func (h *handlers) store(ctx context.Context, _ *dispatcher.Message, req events.BookingRequest) error {
	b := Booking{ID: req.BookingID, Guest: req.Guest, Room: req.Room, Nights: req.Nights}
	if err := h.repo.Save(ctx, b); err != nil {
		return err
	}
	h.log.Info("booking stored", zap.String("booking", b.ID), zap.String("guest", b.Guest))
	return nil
}

func (h *handlers) confirm(ctx context.Context, _ *dispatcher.Message, c events.BookingConfirmation) error {
	if err := h.repo.Confirm(ctx, c.BookingID, c.ChargeID); err != nil {
		// Not stored (yet)? A plain error: the route is retried later.
		return err
	}
	h.log.Info("booking confirmed", zap.String("booking", c.BookingID), zap.String("charge", c.ChargeID))
	return nil
}

// quote answers a request/reply exchange: Reply pushes the answer to the
// list the requester waits on, "reply:<correlation_id>".
func (h *handlers) quote(ctx context.Context, msg *dispatcher.Message, q events.QuoteRequest) error {
	rate, ok := nightlyRateEUR(q.Room)
	if !ok || q.Nights < 1 {
		return dispatcher.Permanent(fmt.Errorf("booking: cannot quote %d nights in room %q", q.Nights, q.Room))
	}
	return h.pub.Reply(ctx, msg, events.Quote{Room: q.Room, Nights: q.Nights, TotalEUR: rate * q.Nights})
}
