package demo

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/example-app/events"
	"github.com/streamfx/streamfx/example-app/internal/activity"
	"github.com/streamfx/streamfx/example-app/payments"
)

// Route names the demo watches.
const (
	storeRoute      = "booking.store"
	confirmRoute    = "booking.confirm"
	requestedRoute  = "notifications.booking_requested"
	confirmedRoute  = "notifications.booking_confirmed"
	chargeRoute     = "payments.charge"
	newsletterRoute = "notifications.newsletter"
)

// requests are the scripted booking requests: one pays, one pays after two
// temporary failures, one is declined.
func requests() []events.BookingRequest {
	return []events.BookingRequest{
		{BookingID: "bk-1", Guest: "Ada", Email: "ada@example.com", Room: "sea-view", Nights: 3, AmountEUR: 360, Card: payments.CardOK},
		{BookingID: "bk-2", Guest: "Grace", Email: "grace@example.com", Room: "standard", Nights: 2, AmountEUR: 180, Card: payments.CardFlaky},
		{BookingID: "bk-3", Guest: "Linus", Email: "linus@example.com", Room: "suite", Nights: 1, AmountEUR: 250, Card: payments.CardDeclined},
	}
}

// outcome is one expected result and how to see it in a snapshot.
type outcome struct {
	what string
	seen func(activity.Snapshot) bool
}

func (d *Demo) script(ctx context.Context) error {
	reqs := requests()
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		id, err := d.p.Publisher.Publish(ctx, events.Stream, events.BookingRequested, r)
		if err != nil {
			return fmt.Errorf("demo: publish %s: %w", r.BookingID, err)
		}
		d.addPublished(1)
		ids[i] = id
		d.log.Info("published", zap.String("type", events.BookingRequested), zap.String("booking", r.BookingID),
			zap.String("card", r.Card), zap.String("id", id))
	}
	if err := d.quote(ctx); err != nil {
		return err
	}
	if err := d.waitFor(ctx, expectations(ids)); err != nil {
		return err
	}
	if err := d.readDeadLetters(ctx, ids[2]); err != nil {
		return err
	}
	if err := ranOnce(d.p.Recorder.Snapshot(), ids[1]); err != nil {
		return err
	}
	if err := d.checkMetrics(ctx, d.deadLettered()); err != nil {
		return err
	}
	return d.stopDuringNewsletter(ctx)
}

// expectations lists the outcomes of the booking requests with entry IDs ids.
func expectations(ids []string) []outcome {
	var out []outcome
	for i, id := range ids {
		for _, route := range []string{storeRoute, requestedRoute} {
			out = append(out, outcome{
				what: fmt.Sprintf("%s handled bk-%d", route, i+1),
				seen: func(s activity.Snapshot) bool { return succeeded(s.RunsOf(route, id)) },
			})
		}
	}
	out = append(out,
		outcome{"payments.charge paid bk-1 on its first run", func(s activity.Snapshot) bool {
			runs := s.RunsOf(chargeRoute, ids[0])
			return len(runs) == 1 && runs[0].Err == nil
		}},
		outcome{"payments.charge failed bk-2 twice, then paid on its third run (asynq retries)", func(s activity.Snapshot) bool {
			runs := s.RunsOf(chargeRoute, ids[1])
			return len(runs) == 3 && runs[0].Err != nil && runs[1].Err != nil && runs[2].Err == nil && runs[2].Attempt == 3
		}},
		outcome{"payments.charge declined bk-3 with a permanent error", func(s activity.Snapshot) bool {
			runs := s.RunsOf(chargeRoute, ids[2])
			return len(runs) == 1 && dispatcher.IsPermanent(runs[0].Err)
		}},
		outcome{"booking.confirm and notifications.booking_confirmed handled bk-1 and bk-2", func(s activity.Snapshot) bool {
			return s.Handled(confirmRoute) == 2 && s.Handled(confirmedRoute) == 2
		}},
	)
	return out
}

func succeeded(runs []activity.Run) bool {
	return len(runs) > 0 && runs[len(runs)-1].Err == nil
}

// waitFor waits until every outcome was seen, and names the first missing one
// if ctx ends first.
func (d *Demo) waitFor(ctx context.Context, want []outcome) error {
	missing := ""
	err := d.p.Recorder.Wait(ctx, func(s activity.Snapshot) bool {
		for _, o := range want {
			if !o.seen(s) {
				missing = o.what
				return false
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("demo: outcome did not happen: %s: %w", missing, err)
	}
	for _, o := range want {
		d.log.Info("outcome seen", zap.String("outcome", o.what))
	}
	return nil
}

// ranOnce checks that the routes of the flaky message other than the
// retried one ran exactly once.
func ranOnce(s activity.Snapshot, id string) error {
	for _, route := range []string{storeRoute, requestedRoute} {
		if n := len(s.RunsOf(route, id)); n != 1 {
			return fmt.Errorf("demo: outcome missing: %s ran %d times for bk-2, want once (only payments.charge is retried)", route, n)
		}
	}
	return nil
}

// quote does a request/reply exchange and checks the reply.
func (d *Demo) quote(ctx context.Context) error {
	pub := d.p.Publisher
	d.addPublished(1)
	reply, err := pub.Request(ctx, events.Stream, events.QuoteRequested,
		events.QuoteRequest{Room: "sea-view", Nights: 3}, 5*time.Second)
	if err != nil {
		return fmt.Errorf("demo: outcome missing: quote reply: %w", err) // a timeout wraps redisstream.ErrReplyTimeout
	}
	var got events.Quote
	if err := reply.Decode(&got); err != nil {
		return fmt.Errorf("demo: quote reply: %w", err)
	}
	if got.TotalEUR != 360 {
		return fmt.Errorf("demo: outcome missing: quote for 3 nights in sea-view is %d EUR, want 360", got.TotalEUR)
	}
	d.log.Info("request/reply: quote received", zap.String("room", got.Room), zap.Int("nights", got.Nights),
		zap.Int("total_eur", got.TotalEUR), zap.String("correlation_id", reply.CorrelationID))
	return nil
}
