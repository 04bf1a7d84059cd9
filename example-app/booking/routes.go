package booking

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/example-app/events"
)

// Group is the logical group of the booking routes (see
// streamfx.Config.RouteGroups).
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
	r.OnBatch(events.RoomViewed, dispatcher.TypedBatch(h.countViews),
		dispatcher.Named("booking.views"), dispatcher.InGroup(Group),
		dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(time.Second))
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

// countViews is a batch route: it counts up to 500 room views in one call
// (one write for many events, in a real app); a view of an unknown room
// fails alone, for good, and the others are acknowledged.
func (h *handlers) countViews(ctx context.Context, msgs []*dispatcher.Message, views []events.RoomView) error {
	var failed dispatcher.BatchError
	perRoom := map[string]int{}
	for i, v := range views {
		if _, ok := nightlyRateEUR(v.Room); !ok {
			failed.Fail(i, dispatcher.Permanent(fmt.Errorf("booking: view of unknown room %q", v.Room)))
			continue
		}
		perRoom[v.Room]++
	}
	h.log.Info("room views counted", zap.Int("views", len(views)), zap.Any("per_room", perRoom))
	return failed.Err()
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
