package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/example-app/events"
	"github.com/streamfx/streamfx/example-app/internal/activity"
)

// deadLetterStream returns the dead-letter stream of events.Stream as
// configured.
func (d *Demo) deadLetterStream() string {
	for _, p := range d.p.Config.Processors {
		if slices.Contains(p.Streams, events.Stream) && p.DeadLetterStream != "" {
			return p.DeadLetterStream
		}
	}
	return dispatcher.DeadLetterStream(events.Stream)
}

// readDeadLetters waits for the dead-letter entries of the entry id, logs
// them and counts them.
func (d *Demo) readDeadLetters(ctx context.Context, id string) error {
	stream := d.deadLetterStream()
	for {
		// Dead letters of id are written after id itself: start there.
		entries, err := d.p.Redis.XRange(ctx, stream, id, "+").Result()
		if err != nil {
			return fmt.Errorf("demo: read %s: %w", stream, err)
		}
		n := 0
		for _, e := range entries {
			if e.Values[dispatcher.DeadIDField] != id {
				continue
			}
			n++
			d.log.Info("dead letter read back", zap.String("stream", stream), zap.String("dead_letter_id", e.ID),
				zap.Any("route", e.Values[dispatcher.DeadRouteField]), zap.Any("reason", e.Values[dispatcher.DeadReasonField]),
				zap.Any("attempts", e.Values[dispatcher.DeadAttemptsField]), zap.Any("booking", e.Values["booking_id"]))
		}
		if n > 0 {
			d.setDeadLettered(n)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: outcome did not happen: bk-3 in %s: %w", stream, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stopDuringNewsletter publishes the slow newsletter and returns as soon as
// its handler runs; the caller then stops the app, which must let it finish.
func (d *Demo) stopDuringNewsletter(ctx context.Context) error {
	id, err := d.p.Publisher.Publish(ctx, events.Stream, events.NewsletterRequested,
		events.Newsletter{Subject: "Spring offers"})
	if err != nil {
		return fmt.Errorf("demo: publish newsletter: %w", err)
	}
	d.addPublished(1)
	d.log.Info("published", zap.String("type", events.NewsletterRequested), zap.String("id", id))
	err = d.p.Recorder.Wait(ctx, func(s activity.Snapshot) bool { return s.InFlight[newsletterRoute] > 0 })
	if err != nil {
		return fmt.Errorf("demo: outcome did not happen: newsletter handler started: %w", err)
	}
	d.log.Info("every outcome seen; stopping the app while the newsletter is being sent (graceful stop drains it)")
	return nil
}
