package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// eventType is the type of every benchmark message.
const eventType = "order.created"

// fillChunk is the number of entries per pipeline when a stream is filled.
const fillChunk = 1000

// dataset holds the messages every scenario uses: message i is variant
// i % len(payloads), as a Go payload (for the Publisher) and as the stream
// fields the Publisher writes for it (for the raw loops).
type dataset struct {
	payloads []map[string]any
	fields   [][]string
	bytes    int // mean size of the fields, names and values
}

// newDataset builds n variants of an order event of about 200 bytes of
// JSON, with a nested list, numbers and a boolean.
func newDataset(n int) *dataset {
	d := &dataset{}
	total := 0
	for i := range n {
		p := map[string]any{
			"order_id":    fmt.Sprintf("o-%07d", i),
			"customer_id": fmt.Sprintf("c-%05d", i*7%100000),
			"amount":      float64(1000+i%9000) + 0.5,
			"currency":    "EUR",
			"items": []any{
				map[string]any{"sku": fmt.Sprintf("SKU-%05d", i%500), "qty": 1 + i%3, "price": 499.75},
				map[string]any{"sku": fmt.Sprintf("SKU-%05d", (i+1)%500), "qty": 1, "price": 1000},
			},
			"paid":       i%2 == 0,
			"created_at": "2024-05-01T12:00:00Z",
		}
		f, err := dispatcher.EncodeFields(eventType, p)
		if err != nil {
			panic("bench: encode dataset: " + err.Error()) // a bug in the dataset
		}
		for _, s := range f {
			total += len(s)
		}
		d.payloads = append(d.payloads, p)
		d.fields = append(d.fields, f)
	}
	d.bytes = total / n
	return d
}

// fieldsAt returns the stream fields of message i.
func (d *dataset) fieldsAt(i int) []string { return d.fields[i%len(d.fields)] }

// payloadAt returns the payload of message i.
func (d *dataset) payloadAt(i int) map[string]any { return d.payloads[i%len(d.payloads)] }

// fill appends messages 0..n-1 to stream with pipelined XADDs.
func (d *dataset) fill(ctx context.Context, rdb *redis.Client, stream string, n int) error {
	for start := 0; start < n; start += fillChunk {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(n, start+fillChunk); i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: d.fieldsAt(i)})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("fill %s: %w", stream, err)
		}
	}
	return nil
}

// createGroup creates group on stream, reading from the start.
func createGroup(ctx context.Context, rdb *redis.Client, stream, group string) error {
	err := rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group on %s: %w", stream, err)
	}
	return nil
}

// waitAcked polls until group has no pending entry on stream.
func waitAcked(ctx context.Context, rdb *redis.Client, stream, group string) error {
	for {
		pending, err := pendingCount(ctx, rdb, stream, group)
		if err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d entries still pending on %s: %w", pending, stream, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// pendingCount returns the number of pending entries of group on stream.
func pendingCount(ctx context.Context, rdb *redis.Client, stream, group string) (int64, error) {
	res, err := rdb.XPending(ctx, stream, group).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("xpending %s: %w", stream, err)
	}
	return res.Count, nil
}

// streamLen returns the number of entries of stream.
func streamLen(ctx context.Context, rdb *redis.Client, stream string) (int64, error) {
	n, err := rdb.XLen(ctx, stream).Result()
	if err != nil {
		return 0, fmt.Errorf("xlen %s: %w", stream, err)
	}
	return n, nil
}
