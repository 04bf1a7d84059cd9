package metrics_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestOrderGaugesTwoProcessors: two ordered Processors of one consumer
// group read one stream in one process, each holding keys at once. The
// gauges of that consumer group and stream are the sum of both Processors'
// keys and waiting entries and the longer of their waits, not whichever
// reported last; a Processor that stops holding keys stops counting.
func TestOrderGaugesTwoProcessors(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client(t)
	const stream = "ordered-two"
	reg, m := registered(t)
	value := func(name string) float64 {
		v, _ := gauge(t, reg, name, stream)
		return v
	}
	stats := func(keys, waiting float64) bool {
		return value("streamfx_order_keys_active") == keys && value("streamfx_order_entries_waiting") == waiting
	}

	// Consumer c1 is delivered key a (three entries), c2 keys b and c (two
	// each) before their Processors start: a Processor runs its consumer's
	// pending entries first, so the split does not depend on Redis.
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "workers", "0").Err(); err != nil {
		t.Fatal(err)
	}
	deliver(t, rdb, stream, "c1", "a", "a", "a")
	deliver(t, rdb, stream, "c2", "b", "b", "c", "c")
	release1, release2 := make(chan struct{}), make(chan struct{})
	free1, free2 := sync.OnceFunc(func() { close(release1) }), sync.OnceFunc(func() { close(release2) })
	cfg1, cfg2 := orderedConfig(t, m, stream), orderedConfig(t, m, stream)
	cfg2.Consumer = "c2"

	p1 := streamtest.StartProcessor(t, rdb, blockFirst(release1), cfg1)
	t.Cleanup(free1) // before p1 stops, if the test ends early
	var firstWait float64
	streamtest.Eventually(t, 15*time.Second, "c1 alone: key a held, two entries waiting for half a second", func() bool {
		firstWait = value("streamfx_order_longest_wait_seconds")
		return stats(1, 2) && firstWait >= 0.5
	})
	p2 := streamtest.Start(t, rdb, blockFirst(release2), cfg2)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			free2()
			streamtest.Stop(t, p2)
		}
	})
	streamtest.Eventually(t, 15*time.Second, "both: keys a, b and c held, four entries waiting, the longest wait c1's", func() bool {
		return stats(3, 4) && value("streamfx_order_longest_wait_seconds") >= firstWait &&
			p1.OrderStats(stream).Keys == 1 && p2.OrderStats(stream).Keys == 2
	})

	// c2 stops while its keys are held: its Shutdown's context ends at once,
	// so its handlers are cancelled and its entries stay pending.
	aborted, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_ = p2.Shutdown(aborted) // an abort: its error is not what this test checks
	stopped = true
	<-p2.Done()
	streamtest.Eventually(t, 15*time.Second, "c2 stopped: key a held, two entries waiting", func() bool {
		return stats(1, 2) && value("streamfx_order_longest_wait_seconds") >= firstWait
	})

	free1()
	streamtest.Eventually(t, 15*time.Second, "the gauges back to zero", func() bool {
		for _, name := range []string{"streamfx_order_keys_active", "streamfx_order_entries_waiting",
			"streamfx_order_longest_wait_seconds"} {
			if v, ok := gauge(t, reg, name, stream); !ok || v != 0 {
				return false
			}
		}
		return streamtest.Pending(t, rdb, stream, "workers") == 4 // c2's entries, left pending at its stop
	})
}

// deliver adds one entry of each of keys (field acct) to stream, n counting
// the entries of each key from 0, and reads them as consumer of group
// "workers", so that they are pending for it.
func deliver(t *testing.T, rdb redis.UniversalClient, stream, consumer string, keys ...string) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range keys {
		add(t, rdb, stream, "acct", k, "n", strconv.Itoa(seen[k]))
		seen[k]++
	}
	got, err := rdb.XReadGroup(context.Background(), &redis.XReadGroupArgs{Group: "workers", Consumer: consumer,
		Streams: []string{stream, ">"}, Count: int64(len(keys))}).Result()
	if err != nil || len(got) != 1 || len(got[0].Messages) != len(keys) {
		t.Fatalf("XREADGROUP as %s = %v, %v; want the %d entries just added", consumer, got, err, len(keys))
	}
}

// blockFirst returns a Dispatcher whose route holds the first entry of each
// key (n=0) until release is closed or its context ends.
func blockFirst(release <-chan struct{}) *dispatcher.Dispatcher {
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("ev", func(ctx context.Context, msg *dispatcher.Message) error {
		if msg.Fields["n"] != "0" {
			return nil
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return d
}

// TestObserveOrderSumsProcessors: ObserveOrder keeps what each Processor
// reported last of a consumer group and stream; the gauges are the sums of
// keys and waiting entries and the longest wait over them, a report
// replaces the same Processor's earlier one, and the zero OrderStats (a
// Processor idle or stopped) removes its share. Other series are apart.
func TestObserveOrderSumsProcessors(t *testing.T) {
	t.Parallel()
	reg, m := registered(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never used: the Processors only name who reports
	t.Cleanup(func() { _ = rdb.Close() })
	newProcessor := func(consumer string) *redisstream.Processor {
		cfg := orderedConfig(t, m, "s")
		cfg.Consumer = consumer
		p, err := redisstream.NewProcessor(rdb, dispatcher.New(dispatcher.Config{}), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1, p2 := newProcessor("c1"), newProcessor("c2")
	steps := []struct {
		name    string
		p       *redisstream.Processor
		stream  string
		s       redisstream.OrderStats
		want    [3]float64 // keys, waiting, longest wait of workers/s
		wantOne float64    // keys of workers/other
	}{
		{"p1 alone", p1, "s", redisstream.OrderStats{Keys: 1, Waiting: 2, LongestWait: 3 * time.Second}, [3]float64{1, 2, 3}, 0},
		{"p2 too", p2, "s", redisstream.OrderStats{Keys: 2, Waiting: 2, LongestWait: time.Second}, [3]float64{3, 4, 3}, 0},
		{"p1 again", p1, "s", redisstream.OrderStats{Keys: 1, Waiting: 3, LongestWait: 4 * time.Second}, [3]float64{3, 5, 4}, 0},
		{"p1 on another stream", p1, "other", redisstream.OrderStats{Keys: 5}, [3]float64{3, 5, 4}, 5},
		{"p1 stopped", p1, "s", redisstream.OrderStats{}, [3]float64{2, 2, 1}, 5},
		{"p2 stopped", p2, "s", redisstream.OrderStats{}, [3]float64{0, 0, 0}, 5},
		{"p2 stopped again", p2, "s", redisstream.OrderStats{}, [3]float64{0, 0, 0}, 5},
	}
	for _, st := range steps {
		m.ObserveOrder(st.p, "workers", st.stream, st.s)
		var got [3]float64
		for i, name := range []string{"streamfx_order_keys_active", "streamfx_order_entries_waiting",
			"streamfx_order_longest_wait_seconds"} {
			v, ok := gauge(t, reg, name, "s")
			if !ok {
				t.Fatalf("%s: %s{stream=\"s\"} not gathered", st.name, name)
			}
			got[i] = v
		}
		other, _ := gauge(t, reg, "streamfx_order_keys_active", "other")
		if got != st.want || other != st.wantOne {
			t.Errorf("%s: keys, waiting, longest wait = %v, keys of other = %v; want %v and %v", st.name, got, other, st.want, st.wantOne)
		}
	}
}
