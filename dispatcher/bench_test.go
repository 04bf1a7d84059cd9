package dispatcher_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
)

// benchDispatcher mounts one route for each of 100 event types.
func benchDispatcher(b *testing.B) *dispatcher.Dispatcher {
	b.Helper()
	d := dispatcher.New(dispatcher.Config{})
	ok := dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })
	for i := range 100 {
		d.On("event."+strconv.Itoa(i), ok)
	}
	return d
}

func benchProcess(b *testing.B, d *dispatcher.Dispatcher, msg *dispatcher.Message, handled int) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if o := d.Process(ctx, msg); o.Handled != handled || o.Action != dispatcher.Ack {
			b.Fatalf("Process = %+v", o)
		}
	}
}

// BenchmarkProcessOneRoute dispatches a message to the one route of its type
// among 100 event types.
func BenchmarkProcessOneRoute(b *testing.B) {
	d := benchDispatcher(b)
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "event.57", "order_id": "o-1"})
	benchProcess(b, d, msg, 1)
}

// BenchmarkProcessThreeFilteredRoutes dispatches a message to 3 routes of
// its type, each behind a filter (two pass), among 100 event types.
func BenchmarkProcessThreeFilteredRoutes(b *testing.B) {
	d := benchDispatcher(b)
	ok := dispatcher.HandlerFunc(func(context.Context, *dispatcher.Message) error { return nil })
	region := func(want string) dispatcher.RouteOption {
		return dispatcher.WithFilter(func(m *dispatcher.Message) bool { return m.Fields["region"] == want })
	}
	d.On("event.57", ok, region("eu"))
	d.On("event.57", ok, region("us"))
	d.On("event.57", ok, dispatcher.WithFilter(func(m *dispatcher.Message) bool { return m.Attempt < 5 }))
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "event.57", "region": "eu"})
	benchProcess(b, d, msg, 3) // the unfiltered route of benchDispatcher, eu, attempt
}

// BenchmarkProcessUnroutable dispatches a message whose type has no route.
func BenchmarkProcessUnroutable(b *testing.B) {
	d := benchDispatcher(b)
	msg := dispatcher.NewMessage("s", "1-0", map[string]string{"type": "nobody"})
	benchProcess(b, d, msg, 0)
}

var benchPayload = map[string]any{
	"order_id": "o-12345", "amount": 1999, "ratio": 0.25, "paid": true, "big": int64(9007199254740993),
	"address": map[string]any{"city": "Zürich", "zip": "8001", "lines": []any{"a", "b"}},
}

func BenchmarkEncodeFields(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dispatcher.EncodeFields("order.paid", benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeFieldsStruct(b *testing.B) {
	p := orderPaid{OrderID: "o-12345", Amount: 1999, Ratio: 0.25, Paid: true, Big: 9007199254740993, Ship: &address{City: "Zürich"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dispatcher.EncodeFields("order.paid", p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncoderEncodeFieldsStruct encodes a struct as a Publisher does:
// with an Encoder that keeps the struct's plan from one call to the next.
func BenchmarkEncoderEncodeFieldsStruct(b *testing.B) {
	p := orderPaid{OrderID: "o-12345", Amount: 1999, Ratio: 0.25, Paid: true, Big: 9007199254740993, Ship: &address{City: "Zürich"}}
	var e dispatcher.Encoder
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EncodeFields("order.paid", p); err != nil {
			b.Fatal(err)
		}
	}
}

func benchFields(b *testing.B) map[string]string {
	b.Helper()
	kv, err := dispatcher.EncodeFields("order.paid", benchPayload)
	if err != nil {
		b.Fatal(err)
	}
	fields := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		fields[kv[i]] = kv[i+1]
	}
	return fields
}

func BenchmarkDecodeFields(b *testing.B) {
	fields := benchFields(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dispatcher.DecodeFields(fields); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageDecode(b *testing.B) {
	msg := dispatcher.NewMessage("s", "1-0", benchFields(b))
	b.ReportAllocs()
	for b.Loop() {
		var p orderPaid
		if err := msg.Decode(&p); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOrder is the payload shape of internal/cmd/bench: an order of about
// 200 bytes of JSON with a nested list of maps, floats, ints and a boolean.
var benchOrder = map[string]any{
	"order_id": "o-0000042", "customer_id": "c-00294", "amount": 1042.5, "currency": "EUR",
	"items": []any{
		map[string]any{"sku": "SKU-00042", "qty": 1, "price": 499.75},
		map[string]any{"sku": "SKU-00043", "qty": 1, "price": 1000},
	},
	"paid": true, "created_at": "2024-05-01T12:00:00Z",
}

// BenchmarkEncodeFieldsOrder encodes the payload of the bench command.
func BenchmarkEncodeFieldsOrder(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dispatcher.EncodeFields("order.created", benchOrder); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeFieldsStringMap encodes a map[string]string payload.
func BenchmarkEncodeFieldsStringMap(b *testing.B) {
	p := map[string]string{"order_id": "o-12345", "customer_id": "c-1", "currency": "EUR", "note": "json:{}"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dispatcher.EncodeFields("order.paid", p); err != nil {
			b.Fatal(err)
		}
	}
}
