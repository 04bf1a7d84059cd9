package payments

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/example-app/events"
)

// Group is the logical group of the payment routes.
const Group = "payments"

// NewChargeRoute returns the route that charges a booking and, once paid,
// publishes booking.confirmed. A temporary gateway failure returns a plain
// error, so streamfx retries this route alone through asynq (the other routes
// of the message are not run again); a declined card returns a Permanent
// error, so the message goes to the dead-letter stream for this route.
func NewChargeRoute(gw Gateway, pub *redisstream.Publisher, log *zap.Logger) dispatcher.Route {
	charge := func(ctx context.Context, msg *dispatcher.Message, req events.BookingRequest) error {
		chargeID, err := gw.Charge(ctx, req.BookingID, req.Card, req.AmountEUR)
		switch {
		case errors.Is(err, ErrDeclined):
			return dispatcher.Permanent(err)
		case err != nil:
			return err
		}
		log.Info("payment captured", zap.String("booking", req.BookingID),
			zap.String("charge", chargeID), zap.Int("attempt", msg.Attempt))
		// The DedupID makes a second run of this route (the entry delivered
		// again before its ack) publish nothing and return the first ID.
		_, err = pub.Publish(ctx, events.Stream, events.BookingConfirmed, events.BookingConfirmation{
			BookingID: req.BookingID, Email: req.Email, ChargeID: chargeID,
		}, redisstream.DedupID("booking.confirmed:"+req.BookingID))
		return err
	}
	return dispatcher.Route{Type: events.BookingRequested, Name: "payments.charge", Group: Group,
		Handler: dispatcher.Typed(charge)}
}
