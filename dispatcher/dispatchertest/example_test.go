package dispatchertest_test

import (
	"context"
	"fmt"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/dispatchertest"
)

// A handler under test, as a feature package would write it.
type orderPaid struct {
	OrderID string `json:"order_id"`
	Amount  int64  `json:"amount"`
}

func chargeHandler(total *int64) dispatcher.Handler {
	return dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, p orderPaid) error {
		*total += p.Amount
		return nil
	})
}

func ExampleNewMessage() {
	var total int64
	msg := dispatchertest.NewMessage("order.paid", orderPaid{OrderID: "o-1", Amount: 1999})
	err := chargeHandler(&total).Handle(context.Background(), msg)
	fmt.Println(msg.Type, msg.Fields["amount"], total, err)
	// Output: order.paid json:1999 1999 <nil>
}

func ExampleRecorder() {
	rec := &dispatchertest.Recorder{}
	d := dispatcher.New(dispatcher.Config{})
	d.On("order.paid", rec, dispatcher.WithFilter(func(m *dispatcher.Message) bool {
		return m.Fields["currency"] == "EUR"
	}))
	dispatchertest.Run(context.Background(), d,
		dispatchertest.NewMessage("order.paid", map[string]any{"currency": "EUR", "amount": 5}),
		dispatchertest.NewMessage("order.paid", map[string]any{"currency": "USD", "amount": 7}),
	)
	for _, m := range rec.Messages() {
		fmt.Println(m.Type, m.Fields["currency"], m.Fields["amount"])
	}
	// Output: order.paid EUR json:5
}

func ExampleRun() {
	var total int64
	d := dispatcher.New(dispatcher.Config{Retry: &dispatchertest.Scheduler{}})
	d.On("order.paid", chargeHandler(&total))
	outs := dispatchertest.Run(context.Background(), d,
		dispatchertest.NewMessage("order.paid", orderPaid{OrderID: "o-1", Amount: 5}),
		dispatchertest.NewMessage("order.paid", map[string]any{"amount": "not a number"}),
		dispatchertest.NewMessage("order.refunded", nil),
	)
	for _, o := range outs {
		fmt.Println(o.Action, o.Handled, len(o.Failures), o.Unroutable)
	}
	fmt.Println("total", total)
	// Output:
	// ack 1 0 <nil>
	// dead-letter 0 1 <nil>
	// ack 0 0 dispatcher: no route for message type
	// total 5
}
