package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
)

func ExampleDispatcher_OnBatch() {
	d := dispatcher.New(dispatcher.Config{})
	// One bulk insert for many rows; row "r-2" is rejected by the database.
	d.OnBatch("row.added", dispatcher.BatchHandlerFunc(func(ctx context.Context, msgs []*dispatcher.Message) error {
		fmt.Println("insert", len(msgs), "rows")
		var failed dispatcher.BatchError
		for i, msg := range msgs {
			if msg.Fields["row"] == "r-2" {
				failed.Fail(i, errors.New("duplicate key"))
			}
		}
		return failed.Err()
	}), dispatcher.Named("rows.insert"), dispatcher.WithMaxBatch(500), dispatcher.WithMaxWait(20*time.Millisecond))
	// A plain route on the same type still runs once per message.
	d.OnFunc("row.added", func(ctx context.Context, msg *dispatcher.Message) error {
		fmt.Println("audit", msg.Fields["row"])
		return nil
	}, dispatcher.Named("rows.audit"))

	// The engine gathers messages of one stream and type up to these limits.
	limits, _ := d.BatchLimits("row.added")
	fmt.Println("limits", limits.MaxBatch, limits.MaxWait)
	var msgs []*dispatcher.Message
	for i := 1; i <= 3; i++ {
		msgs = append(msgs, dispatcher.NewMessage("rows", fmt.Sprint(i, "-0"),
			map[string]string{"type": "row.added", "row": fmt.Sprint("r-", i)}))
	}
	for i, o := range d.ProcessBatch(context.Background(), msgs) {
		fmt.Println(msgs[i].ID, o.Action, o.Failures)
	}
	// Output:
	// limits 500 20ms
	// insert 3 rows
	// audit r-1
	// audit r-2
	// audit r-3
	// 1-0 ack []
	// 2-0 retry [{rows.insert duplicate key}]
	// 3-0 ack []
}

func ExampleTypedBatch() {
	type row struct {
		ID    string `json:"id"`
		Price int    `json:"price"`
	}
	d := dispatcher.New(dispatcher.Config{})
	d.OnBatch("row.added", dispatcher.TypedBatch(func(ctx context.Context, msgs []*dispatcher.Message, rows []row) error {
		fmt.Println("insert", rows)
		return nil
	}))
	msgs := []*dispatcher.Message{
		dispatcher.NewMessage("rows", "1-0", map[string]string{"type": "row.added", "id": "a", "price": "json:3"}),
		dispatcher.NewMessage("rows", "2-0", map[string]string{"type": "row.added", "id": "b", "price": "json:{oops"}),
		dispatcher.NewMessage("rows", "3-0", map[string]string{"type": "row.added", "id": "c", "price": "json:5"}),
	}
	for i, o := range d.ProcessBatch(context.Background(), msgs) {
		fmt.Println(msgs[i].ID, o.Action)
	}
	// Output:
	// insert [{a 3} {c 5}]
	// 1-0 ack
	// 2-0 dead-letter
	// 3-0 ack
}
