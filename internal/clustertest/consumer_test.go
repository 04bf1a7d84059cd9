package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
)

// The environment of a consumer process started by the scale-out test.
// consumerEnv holds its consumer name; its presence makes TestMain run
// runConsumer instead of the tests.
const (
	consumerEnv       = "STREAMFX_CLUSTERTEST_CONSUMER"
	consumerAddrsEnv  = "STREAMFX_CLUSTERTEST_ADDRS"
	consumerStreamEnv = "STREAMFX_CLUSTERTEST_STREAM"
	consumerGroupEnv  = "STREAMFX_CLUSTERTEST_GROUP"
	consumerOutEnv    = "STREAMFX_CLUSTERTEST_OUT"
	// consumerWorkEnv is how long each handler run waits, as a Go duration.
	consumerWorkEnv = "STREAMFX_CLUSTERTEST_WORK"
	// readyLine is what a consumer prints on stdout once it consumes.
	readyLine = "ready"
)

// consumerResult is what a consumer process writes to its output file
// when it stops: the entries it handled, and when it handled the first and
// the last.
type consumerResult struct {
	Consumer string    `json:"consumer"`
	IDs      []string  `json:"ids"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
}

// runConsumer is the main function of a consumer process. It consumes the
// stream until its stdin is closed, stops cleanly, writes its
// consumerResult and returns the exit code.
func runConsumer() int {
	if err := consume(os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest consumer:", err)
		return 2
	}
	return 0
}

// tally records what a consumer process handled.
type tally struct {
	work time.Duration // how long each handler run waits
	mu   sync.Mutex
	res  consumerResult
}

func (t *tally) handle(ctx context.Context, msg *dispatcher.Message) error {
	if t.work > 0 {
		select {
		case <-time.After(t.work):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.res.First.IsZero() {
		t.res.First = now
	}
	t.res.Last = now
	t.res.IDs = append(t.res.IDs, msg.ID)
	return nil
}

// consume runs one consumer configured by getenv: it prints readyLine on
// stdout once started, and stops when stdin ends.
func consume(getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(getenv(consumerAddrsEnv), ",")})
	defer rdb.Close()
	work, err := time.ParseDuration(getenv(consumerWorkEnv))
	if err != nil {
		return fmt.Errorf("%s: %w", consumerWorkEnv, err)
	}
	tl := &tally{work: work, res: consumerResult{Consumer: getenv(consumerEnv)}}
	d := dispatcher.New(dispatcher.Config{})
	d.OnFunc("tick", tl.handle, dispatcher.Named("tally"))
	p, err := redisstream.NewProcessor(rdb, d, redisstream.ProcessorConfig{
		Streams: []string{getenv(consumerStreamEnv)}, Group: getenv(consumerGroupEnv),
		Consumer: tl.res.Consumer, Block: 100 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	if err := withTimeout(p.Start); err != nil {
		return err
	}
	fmt.Fprintln(stdout, readyLine)
	_, _ = io.Copy(io.Discard, stdin) // the test closes stdin to stop us
	if err := withTimeout(p.Shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	b, err := json.Marshal(tl.res)
	if err != nil {
		return err
	}
	return os.WriteFile(getenv(consumerOutEnv), b, 0o600)
}

// withTimeout calls f with a context that ends after 10s.
func withTimeout(f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f(ctx)
}
