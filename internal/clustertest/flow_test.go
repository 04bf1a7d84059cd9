package clustertest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestClusterProcessorPublisherFlow runs one processor on three streams
// served by three different masters while several publishers write to them
// (single XADDs and pipelined batches). Every published entry is handled
// exactly once and nothing else is; every group ends with an empty PEL and
// no lag. A second processor with the same consumer name, started after a
// clean stop, handles only what was published meanwhile.
func TestClusterProcessorPublisherFlow(t *testing.T) {
	t.Parallel()
	_, rdb := startCluster(t)
	streams := []string{ordersStream, paymentsStream, usersStream}
	requireSpread(t, rdb, streams...)
	log, _ := observed(t)
	rec := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", rec.Handle, dispatcher.Named("tick"))
	pub := redisstream.NewPublisher(rdb, redisstream.PublisherConfig{})
	p := streamtest.StartProcessor(t, rdb, d, fastConfig(log, streams...))

	want := publishConcurrently(t, pub, streams, 4, 100)
	eventually(t, "every published entry is handled", func() bool { return rec.HandledAll(want) })
	for _, s := range streams {
		eventually(t, "the PEL of "+s+" is empty", func() bool { return pending(t, rdb, s, "g") == 0 })
	}
	streamtest.Stop(t, p)
	for _, s := range streams {
		g := groupInfo(t, rdb, s, "g")
		if n := rdb.XLen(context.Background(), s).Val(); g.EntriesRead != n || g.Lag != 0 {
			t.Errorf("group of %s read %d of %d entries, lag %d; want all read, lag 0", s, g.EntriesRead, n, g.Lag)
		}
	}

	// Published while no processor runs: only these are handled next.
	for _, s := range streams {
		want = append(want, publishN(t, pub, s, "tick", 25)...)
	}
	p2 := streamtest.StartProcessor(t, rdb, d, fastConfig(log, streams...))
	eventually(t, "the entries published during the stop are handled", func() bool { return rec.HandledAll(want) })
	streamtest.Stop(t, p2)
	rec.ExactlyOnce(t, want)
	t.Logf("%d entries on %d masters, each handled exactly once", len(want), len(streams))
}

// publishConcurrently runs writers goroutines per stream, each publishing
// perWriter events, half one XADD at a time and half in a pipelined batch,
// and returns every published entry.
func publishConcurrently(t *testing.T, pub *redisstream.Publisher, streams []string, writers, perWriter int) []streamtest.Entry {
	t.Helper()
	var (
		mu   sync.Mutex
		all  []streamtest.Entry
		wg   sync.WaitGroup
		errs = make(chan error, len(streams)*writers)
	)
	for _, s := range streams {
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := publishMixed(pub, s, w, perWriter)
				if err != nil {
					errs <- err
				}
				mu.Lock()
				all = append(all, got...)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return all
}

// publishMixed publishes n events to stream: n/2 with Publish, the rest
// with PublishBatch.
func publishMixed(pub *redisstream.Publisher, stream string, writer, n int) ([]streamtest.Entry, error) {
	ctx := context.Background()
	var out []streamtest.Entry
	for i := 0; i < n/2; i++ {
		id, err := pub.Publish(ctx, stream, "tick", map[string]any{"writer": writer, "n": i})
		if err != nil {
			return out, err
		}
		out = append(out, streamtest.Entry{Stream: stream, ID: id})
	}
	events := make([]redisstream.Event, n-n/2)
	for i := range events {
		events[i] = redisstream.Event{Type: "tick", Payload: map[string]any{"writer": writer, "n": n/2 + i}}
	}
	ids, err := pub.PublishBatch(ctx, stream, events)
	if err != nil {
		return out, fmt.Errorf("writer %d on %s: %w", writer, stream, err)
	}
	return append(out, streamtest.Entries(stream, ids)...), nil
}
