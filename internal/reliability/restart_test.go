package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/redistest"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// TestReliabilityRedisRestart runs a publisher and a processor, each with
// its own client, against a redis-server whose append-only file is fsynced
// on every write. Mid-run the server is stopped with SIGTERM, then later
// with SIGKILL, and each time started again on the same port two seconds
// later.
// Nobody restarts the publisher or the processor: they must recover by
// themselves. Every entry whose XADD returned an ID must be handled.
func TestReliabilityRedisRestart(t *testing.T) {
	n := scaled(30_000, 3)
	const stream = "restart"
	srv := startAOFRedis(t)
	consumerRDB, publisherRDB := srv.Client(t), srv.Client(t)
	seen := new(streamtest.Recorder)
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", seen.Handle)
	log, logs := observedLogger()
	begin := time.Now()
	p := newProcessor(t, consumerRDB, d, redisstream.ProcessorConfig{
		Streams: []string{stream}, Group: "g", Consumer: "c1", BatchSize: 100,
		Block: 100 * time.Millisecond, MinIdle: time.Second, ReclaimInterval: 100 * time.Millisecond, Logger: log,
	})

	pub := newPacedPublisher(redisstream.NewPublisher(publisherRDB, redisstream.PublisherConfig{}), stream, n)
	go pub.run()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		target := pub.attempted.Load() + int64(n/3)
		streamtest.Eventually(t, time.Minute, "the publisher moved on", func() bool { return pub.attempted.Load() >= target })
		restartRedis(t, srv, sig, seen)
	}
	<-pub.done
	acked := pub.ids()
	want := streamtest.Entries(stream, acked)
	streamtest.Eventually(t, 2*time.Minute, "every acknowledged publish is handled", func() bool { return seen.HandledAll(want) })
	// A go-redis client answers with its last dial error for up to a second
	// after an outage: poll through a new client, and tolerate errors.
	admin := srv.Client(t)
	streamtest.Eventually(t, time.Minute, "the PEL is empty", func() bool {
		res, err := admin.XPending(context.Background(), stream, "g").Result()
		return err == nil && res.Count == 0
	})
	if err := shutdown(p); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(begin)

	res := tallyRuns(seen.Counts(), want)
	if res.lost > 0 {
		t.Errorf("%d acknowledged publishes never handled, such as %v", res.lost, res.missing)
	}
	// Each outage is logged, and so is its end. Right after an outage more
	// short ones may be logged: a command go-redis was still retrying, or
	// go-redis's dial breaker, which answers with the last dial error for
	// up to a second after Redis is back.
	// The recovery of the last outage is logged once every loop has
	// succeeded again, which may come after the test stopped the processor.
	outages, recoveries := logs.FilterMessageSnippet("redis unavailable").Len(), logs.FilterMessageSnippet("redis answers again").Len()
	if outages < 2 || recoveries < 1 || recoveries < outages-1 {
		t.Errorf("%d outage and %d recovery log lines, want at least 2 outages, each but the last followed by a recovery:\n%s",
			outages, recoveries, logLines(logs))
	}
	// Entries whose XADD failed on the client side may still have been
	// written; handling them is fine, they are not counted as published.
	results.add(t, row{
		scenario: "redis restarted (SIGTERM, SIGKILL)", messages: len(acked), handled: res.handled,
		lost: res.lost, duplicates: res.duplicates, elapsed: elapsed,
		notes: fmt.Sprintf("%d publishes failed during the outages (not counted), %d more entries handled; %d outages and %d recoveries logged",
			n-len(acked), res.unexpected, outages, recoveries),
	})
}

// startAOFRedis starts a redis-server with an append-only file fsynced on
// every write, whose log is shown if t fails.
func startAOFRedis(t *testing.T) *redistest.Server {
	t.Helper()
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always", "--logfile", "redis.log")
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(srv.Dir, "redis.log"))
			t.Logf("redis-server log:\n%s", b)
		}
	})
	return srv
}

// restartRedis stops srv with sig, starts it again after an outage longer
// than go-redis's own retries of a failed command (3, backoff up to 512ms),
// so that the processor notices, and waits until the processor handles new
// reads again.
func restartRedis(t *testing.T, srv *redistest.Server, sig syscall.Signal, seen *streamtest.Recorder) {
	t.Helper()
	const outage = 2 * time.Second
	srv.Kill(sig)
	time.Sleep(outage)
	srv.Restart(t)
	progress := seen.Len() + 300 // more than one batch: new reads
	streamtest.Eventually(t, time.Minute, "the processor recovers by itself", func() bool { return seen.Len() >= progress })
}

// pacedPublisher publishes n events in small batches, a few milliseconds
// apart, going on after errors, and remembers the IDs Redis returned.
type pacedPublisher struct {
	pub       *redisstream.Publisher
	stream    string
	n         int
	attempted atomic.Int64 // events tried so far
	done      chan struct{}

	mu  sync.Mutex
	acc []string // IDs of the events XADD acknowledged
}

func newPacedPublisher(pub *redisstream.Publisher, stream string, n int) *pacedPublisher {
	return &pacedPublisher{pub: pub, stream: stream, n: n, done: make(chan struct{})}
}

func (pp *pacedPublisher) run() {
	defer close(pp.done)
	const batch = 50
	for start := 0; start < pp.n; start += batch {
		events := make([]redisstream.Event, 0, batch)
		for i := start; i < min(start+batch, pp.n); i++ {
			events = append(events, redisstream.Event{Type: "tick", Payload: map[string]any{"seq": i}})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ids, _ := pp.pub.PublishBatch(ctx, pp.stream, events) // failed events have no ID
		cancel()
		pp.mu.Lock()
		for _, id := range ids {
			if id != "" {
				pp.acc = append(pp.acc, id)
			}
		}
		pp.mu.Unlock()
		pp.attempted.Add(int64(len(events)))
		time.Sleep(5 * time.Millisecond)
	}
}

func (pp *pacedPublisher) ids() []string {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return append([]string(nil), pp.acc...)
}
