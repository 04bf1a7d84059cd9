// Package opstest seeds a Redis with what an operator looks at: a stream
// consumed by a real redisstream.Processor whose failing routes wrote dead
// letters, a group with pending entries and lag, and a second group that
// lags. The tests of cmd/streamfx and of the dashboard share it.
package opstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// Names of the seeded stream, groups, consumers and routes.
const (
	Stream        = "orders"
	Group         = "billing"
	LaggingGroup  = "reports"
	Consumer      = "worker-1"
	OtherConsumer = "worker-2"
	ChargeRoute   = "billing.charge"
	AuditRoute    = "audit.record"
	RefundRoute   = "billing.refund"
)

// Fixture is what Seed wrote.
type Fixture struct {
	// IDs are the entries of Stream in order: o-1, o-2, o-3 (order.paid),
	// r-1 (order.refunded), o-5, o-6 (order.paid, published after the
	// processor stopped).
	IDs []string
	// Dead are the dead-letter IDs in order: o-2 by ChargeRoute, o-3 by
	// ChargeRoute, o-3 by AuditRoute, r-1 by RefundRoute.
	Dead []string
}

// Seed writes the fixture into rdb:
//   - Stream holds 6 entries. A Processor of Group (consumer Consumer) ran
//     the first 4 and stopped: o-2 (card tok_declined) failed ChargeRoute with
//     "card declined", o-3 (declined, 5000 EUR) failed ChargeRoute and
//     AuditRoute ("amount above limit"), r-1 failed RefundRoute with "refund
//     gateway timeout": 4 dead letters in "orders:dead", all permanent.
//   - Then o-5 and o-6 were published and OtherConsumer read o-5 without
//     acknowledging it: Group has 1 pending entry and a lag of 1.
//   - LaggingGroup was created at "0" and read nothing: its lag is 6.
func Seed(t testing.TB, rdb redis.UniversalClient) Fixture {
	t.Helper()
	ctx := context.Background()
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		if card, _ := msg.Get("card"); card == "tok_declined" {
			return dispatcher.Permanent(errors.New("card declined"))
		}
		return nil
	}, dispatcher.Named(ChargeRoute))
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		var p struct {
			AmountEUR int64 `json:"amount_eur"`
		}
		if err := msg.Decode(&p); err != nil || p.AmountEUR > 1000 {
			return dispatcher.Permanent(errors.New("amount above limit"))
		}
		return nil
	}, dispatcher.Named(AuditRoute))
	d.OnFunc("order.refunded", func(ctx context.Context, msg *dispatcher.Message) error {
		return dispatcher.Permanent(errors.New("refund gateway timeout"))
	}, dispatcher.Named(RefundRoute))

	var f Fixture
	publish := func(typ string, payload map[string]any) {
		id, err := pub.Publish(ctx, Stream, typ, payload)
		if err != nil {
			t.Fatalf("opstest: publish: %v", err)
		}
		f.IDs = append(f.IDs, id)
	}
	publish("order.paid", map[string]any{"order_id": "o-1", "card": "tok_ok", "amount_eur": 10})
	publish("order.paid", map[string]any{"order_id": "o-2", "card": "tok_declined", "amount_eur": 25})
	publish("order.paid", map[string]any{"order_id": "o-3", "card": "tok_declined", "amount_eur": 5000})
	publish("order.refunded", map[string]any{"order_id": "o-1", "amount_eur": 10.5})

	p := streamtest.Start(t, rdb, d, redisstream.ProcessorConfig{
		Streams: []string{Stream}, Group: Group, Consumer: Consumer, Block: 50 * time.Millisecond,
		Concurrency: 1, // entries and their dead letters in stream order
	})
	dead := dispatcher.DeadLetterStream(Stream)
	streamtest.Eventually(t, 20*time.Second, "4 dead letters and nothing pending", func() bool {
		g, err := rdb.XInfoGroups(ctx, Stream).Result()
		return err == nil && len(g) == 1 && g[0].Pending == 0 && g[0].LastDeliveredID == f.IDs[3] &&
			rdb.XLen(ctx, dead).Val() == 4
	})
	streamtest.Stop(t, p)
	want := []string{f.IDs[1] + " " + ChargeRoute, f.IDs[2] + " " + ChargeRoute, f.IDs[2] + " " + AuditRoute, f.IDs[3] + " " + RefundRoute}
	for i, m := range rdb.XRange(ctx, dead, "-", "+").Val() {
		if got := fmt.Sprint(m.Values[dispatcher.DeadIDField], " ", m.Values[dispatcher.DeadRouteField]); got != want[i] {
			t.Fatalf("opstest: dead letter %d is of %s, want %s", i, got, want[i])
		}
		f.Dead = append(f.Dead, m.ID)
	}

	publish("order.paid", map[string]any{"order_id": "o-5", "card": "tok_ok", "amount_eur": 7})
	publish("order.paid", map[string]any{"order_id": "o-6", "card": "tok_ok", "amount_eur": 8})
	err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: Group, Consumer: OtherConsumer, Streams: []string{Stream, ">"}, Count: 1}).Err()
	if err != nil {
		t.Fatalf("opstest: XREADGROUP: %v", err)
	}
	if err := rdb.XGroupCreate(ctx, Stream, LaggingGroup, "0").Err(); err != nil {
		t.Fatalf("opstest: XGROUP CREATE: %v", err)
	}
	return f
}
