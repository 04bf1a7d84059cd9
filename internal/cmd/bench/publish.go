package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// publish measures single and batch publishing, each against the raw
// go-redis equivalent writing the same fields, on fresh streams, -rounds
// times, keeping the best run of each. The raw side gets its fields encoded
// beforehand (Redis I/O only); the Publisher encodes each payload itself, as
// an application's call would. A last raw batch encodes each payload with
// encoding/json into the same fields, as a hand-written producer would; it
// is shown in the table, not in the RESULT line.
func (b *bench) publish(ctx context.Context) error {
	single, batch := b.opts.singleN, b.opts.n
	steps := []struct {
		name string
		n    int
		fn   func(context.Context, string, int) error
		out  *float64
	}{
		{"raw XADD, sequential", single, b.rawSingle, &b.res.singleRaw},
		{"streamfx Publish, sequential", single, b.streamfxSingle, &b.res.singleStreamfx},
		{fmt.Sprintf("raw pipelined XADD (%d per pipeline)", b.opts.pubBatch), batch, b.rawBatch, &b.res.batchRaw},
		{fmt.Sprintf("streamfx PublishBatch (%d per call)", b.opts.pubBatch), batch, b.streamfxBatch, &b.res.batchStreamfx},
		{fmt.Sprintf("raw pipelined XADD + encoding/json (%d per pipeline)", b.opts.pubBatch), batch, b.rawJSONBatch, &b.res.batchRawJSON},
	}
	runs := make([]trials, len(steps))
	for range b.opts.rounds {
		for i, s := range steps {
			name := fmt.Sprintf("publish-%d", i)
			t, err := b.onFreshStream(ctx, name, s.n, s.fn)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			runs[i] = append(runs[i], t)
		}
	}
	for i, s := range steps {
		*s.out = rate(s.n, runs[i].best())
	}
	notes := []string{"baseline", fmt.Sprintf("x%.2f raw%s", b.res.singleStreamfx/b.res.singleRaw, pairedRatios(runs[0], runs[1])),
		"baseline", fmt.Sprintf("x%.2f raw%s", b.res.batchStreamfx/b.res.batchRaw, pairedRatios(runs[2], runs[3])),
		fmt.Sprintf("x%.2f raw; streamfx PublishBatch is x%.2f this", b.res.batchRawJSON/b.res.batchRaw,
			b.res.batchStreamfx/b.res.batchRawJSON)}
	for i, s := range steps {
		b.addRow("publish "+s.name, s.n, runs[i], notes[i])
	}
	return nil
}

// onFreshStream runs fn, which writes n messages to a fresh stream, under
// -timeout, checks the stream's length and deletes it.
func (b *bench) onFreshStream(ctx context.Context, name string, n int, fn func(context.Context, string, int) error) (trial, error) {
	stream := b.env.key(name)
	defer b.env.drop(context.WithoutCancel(ctx), stream)
	var t trial
	err := b.bounded(ctx, func(ctx context.Context) error {
		return labelled(ctx, name, func(ctx context.Context) error {
			start, cpu := time.Now(), cpuTime()
			if err := fn(ctx, stream, n); err != nil {
				return err
			}
			t = trial{wall: time.Since(start), cpu: cpuTime() - cpu}
			return checkLen(ctx, b.env.rdb, stream, n)
		})
	})
	return t, err
}

// checkLen fails unless stream holds n entries.
func checkLen(ctx context.Context, rdb *redis.Client, stream string, n int) error {
	got, err := streamLen(ctx, rdb, stream)
	if err != nil {
		return err
	}
	if got != int64(n) {
		return fmt.Errorf("stream %s holds %d entries, want %d", stream, got, n)
	}
	return nil
}

func (b *bench) rawSingle(ctx context.Context, stream string, n int) error {
	for i := range n {
		err := b.env.rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: b.data.fieldsAt(i)}).Err()
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) streamfxSingle(ctx context.Context, stream string, n int) error {
	pub := redisstream.NewPublisher(b.env.rdb, redisstream.PublisherConfig{})
	for i := range n {
		if _, err := pub.Publish(ctx, stream, eventType, b.data.payloadAt(i)); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) rawBatch(ctx context.Context, stream string, n int) error {
	for start := 0; start < n; start += b.opts.pubBatch {
		cmds, err := b.env.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(n, start+b.opts.pubBatch); i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: b.data.fieldsAt(i)})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range cmds {
			if c.(*redis.StringCmd).Val() == "" {
				return fmt.Errorf("XADD returned no ID")
			}
		}
	}
	return nil
}

// rawJSONBatch is rawBatch with each payload encoded in the loop, in the
// wire format of the Publisher, by encoding/json: a string as-is, anything
// else as "json:" and its JSON, keys sorted, "type" first.
func (b *bench) rawJSONBatch(ctx context.Context, stream string, n int) error {
	for start := 0; start < n; start += b.opts.pubBatch {
		_, err := b.env.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(n, start+b.opts.pubBatch); i++ {
				fields, err := jsonFields(b.data.payloadAt(i))
				if err != nil {
					return err
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: fields})
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonFields encodes payload as rawJSONBatch describes.
func jsonFields(payload map[string]any) ([]string, error) {
	fields := append(make([]string, 0, 2+2*len(payload)), dispatcher.TypeField, eventType)
	for _, k := range slices.Sorted(maps.Keys(payload)) {
		v, ok := payload[k].(string)
		if !ok {
			js, err := json.Marshal(payload[k])
			if err != nil {
				return nil, err
			}
			v = dispatcher.JSONPrefix + string(js)
		}
		fields = append(fields, k, v)
	}
	return fields, nil
}

func (b *bench) streamfxBatch(ctx context.Context, stream string, n int) error {
	pub := redisstream.NewPublisher(b.env.rdb, redisstream.PublisherConfig{})
	events := make([]redisstream.Event, 0, b.opts.pubBatch)
	for start := 0; start < n; start += b.opts.pubBatch {
		events = events[:0]
		for i := start; i < min(n, start+b.opts.pubBatch); i++ {
			events = append(events, redisstream.Event{Type: eventType, Payload: b.data.payloadAt(i)})
		}
		if _, err := pub.PublishBatch(ctx, stream, events); err != nil {
			return err
		}
	}
	return nil
}
