package dispatcher_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/streamfx/streamfx/dispatcher"
)

func ExampleDispatcher_Process() {
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("charging", msg.Fields["order_id"])
		return nil
	})
	d.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		return errors.New("mail server down")
	}, dispatcher.Named("receipt"))

	// A Processor builds the Message from a stream entry.
	msg := dispatcher.NewMessage("orders", "1700000000000-0", map[string]string{
		"type": "order.paid", "order_id": "o-42",
	})
	o := d.Process(context.Background(), msg)
	fmt.Println(o.Action, o.Handled, o.Failures[0].Route, o.Failures[0].Err)
	// Output:
	// charging o-42
	// retry 1 receipt mail server down
}

func ExampleDispatcher_On() {
	d := dispatcher.New(dispatcher.Config{})
	bigOrders := func(m *dispatcher.Message) bool {
		var p struct{ Amount int }
		return m.Decode(&p) == nil && p.Amount >= 1000
	}
	d.On("order.paid", dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("review order", msg.ID)
		return nil
	}), dispatcher.Named("review-big-orders"), dispatcher.InGroup("fraud"), dispatcher.WithFilter(bigOrders))

	for i, amount := range []string{"json:5", "json:5000"} {
		msg := dispatcher.NewMessage("orders", fmt.Sprint(i+1, "-0"), map[string]string{"type": "order.paid", "amount": amount})
		o := d.Process(context.Background(), msg)
		fmt.Println(msg.ID, o.Action, o.Handled)
	}
	for _, r := range d.Routes() {
		fmt.Println(r.Name, r.Group, r.Type)
	}
	// Output:
	// 1-0 ack 0
	// review order 2-0
	// 2-0 ack 1
	// review-big-orders fraud order.paid
}

func ExampleRouter() {
	// In a feature package:
	billing := dispatcher.NewRouter()
	billing.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("billing: charge", msg.Fields["order_id"])
		return nil
	}, dispatcher.InGroup("billing"))
	mail := dispatcher.NewRouter()
	mail.OnFunc("order.paid", func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("mail: receipt", msg.Fields["order_id"])
		return nil
	}, dispatcher.InGroup("mail"))

	// In a worker that only runs billing:
	d := dispatcher.New(dispatcher.Config{EnabledGroups: []string{"billing"}})
	d.Include(billing, mail)
	d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", map[string]string{"type": "order.paid", "order_id": "o-7"}))
	// Output: billing: charge o-7
}

func ExampleDispatcher_Include() {
	r := dispatcher.NewRouter()
	r.Use(func(next dispatcher.Handler) dispatcher.Handler {
		return dispatcher.HandlerFunc(func(ctx context.Context, msg *dispatcher.Message) error {
			fmt.Println("router middleware for", msg.Type)
			return next.Handle(ctx, msg)
		})
	})
	r.OnFunc("user.created", func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("welcome", msg.Fields["email"])
		return nil
	})
	d := dispatcher.New(dispatcher.Config{})
	d.Include(r)
	d.Process(context.Background(), dispatcher.NewMessage("users", "1-0", map[string]string{"type": "user.created", "email": "ann@example.com"}))
	// Output:
	// router middleware for user.created
	// welcome ann@example.com
}

func ExampleTyped() {
	type orderPaid struct {
		OrderID string `json:"order_id"`
		Amount  int64  `json:"amount"`
	}
	d := dispatcher.New(dispatcher.Config{})
	d.On("order.paid", dispatcher.Typed(func(ctx context.Context, msg *dispatcher.Message, p orderPaid) error {
		fmt.Println(p.OrderID, p.Amount)
		return nil
	}))
	ok := d.Process(context.Background(), dispatcher.NewMessage("orders", "1-0", map[string]string{
		"type": "order.paid", "order_id": "o-1", "amount": "json:9007199254740993",
	}))
	bad := d.Process(context.Background(), dispatcher.NewMessage("orders", "2-0", map[string]string{
		"type": "order.paid", "amount": "json:{oops",
	}))
	fmt.Println(ok.Action, bad.Action, dispatcher.IsPermanent(bad.Failures[0].Err))
	// Output:
	// o-1 9007199254740993
	// ack dead-letter true
}

func ExampleEncodeFields() {
	type orderPaid struct {
		OrderID string  `json:"order_id"`
		Amount  int64   `json:"amount"`
		Ratio   float64 `json:"ratio"`
		Note    string  `json:"note"`
	}
	fields, err := dispatcher.EncodeFields("order.paid", orderPaid{OrderID: "o-1", Amount: 1999, Ratio: 0.25, Note: "json:kept"})
	fmt.Println(fields, err)
	fields, err = dispatcher.EncodeFields("metrics.sample", map[string]any{"f": 1.0, "tags": []string{"zürich"}})
	fmt.Println(fields, err)
	// Output:
	// [type order.paid order_id o-1 amount json:1999 ratio json:0.25 note json:"json:kept"] <nil>
	// [type metrics.sample f json:1.0 tags json:["zürich"]] <nil>
}

func ExampleMessage_Decode() {
	msg := dispatcher.NewMessage("users", "1-0", map[string]string{
		"type":    `json:"user.updated"`,
		"user_id": "json:9007199254740993",
		"address": `json:{"city":"Zürich","lines":["a","b"]}`,
		"nick":    "json:null",
	})
	var p struct {
		UserID  uint64 `json:"user_id"`
		Address struct {
			City  string   `json:"city"`
			Lines []string `json:"lines"`
		} `json:"address"`
		Nick *string `json:"nick"`
	}
	err := msg.Decode(&p)
	fmt.Println(msg.Type, p.UserID, p.Address.City, p.Address.Lines, p.Nick, err)

	var raw map[string]any
	_ = msg.Decode(&raw)
	fmt.Printf("%T %v\n", raw["user_id"], raw["user_id"])

	err = dispatcher.NewMessage("users", "2-0", map[string]string{"type": "user.updated", "user_id": "json:"}).Decode(&p)
	fmt.Println(err)
	// Output:
	// user.updated 9007199254740993 Zürich [a b] <nil> <nil>
	// json.Number 9007199254740993
	// dispatcher: cannot decode field "user_id": no JSON value after the json: prefix
}
