package reliability

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/streamfx/streamfx/dispatcher"
	"github.com/streamfx/streamfx/dispatcher/redisstream"
	"github.com/streamfx/streamfx/internal/streamtest"
)

// scaled returns n, or n/div under the race detector.
func scaled(n, div int) int {
	if raceEnabled {
		return n / div
	}
	return n
}

// envInt returns the integer in the environment variable name, or def.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// tally is the comparison of handler runs with the expected keys.
type tally struct {
	handled, lost, duplicates, unexpected int
	missing                               []string // up to 10 lost keys
}

// tallyRuns compares runs, the handler runs per key (an entry ID, or a
// streamtest.Entry), with want: handled counts keys of want that ran, lost
// those that did not (the first few are listed), duplicates the runs beyond
// the first of every key, and unexpected the keys not in want.
func tallyRuns[K comparable](runs map[K]int, want []K) tally {
	var r tally
	wanted := make(map[K]bool, len(want))
	for _, k := range want {
		wanted[k] = true
		if runs[k] > 0 {
			r.handled++
			continue
		}
		r.lost++
		if len(r.missing) < 10 {
			r.missing = append(r.missing, fmt.Sprint(k))
		}
	}
	for k, n := range runs {
		r.duplicates += max(n-1, 0)
		if !wanted[k] {
			r.unexpected++
		}
	}
	return r
}

// check fails t if anything was lost or ran without being expected.
func (r tally) check(t testing.TB) {
	t.Helper()
	if r.lost > 0 {
		t.Errorf("%d messages lost (never handled), such as %v", r.lost, r.missing)
	}
	if r.unexpected > 0 {
		t.Errorf("%d unexpected messages handled", r.unexpected)
	}
}

// deadLetters returns the entries of a dead-letter stream by source ID.
func deadLetters(t testing.TB, rdb redis.UniversalClient, stream string) map[string][]map[string]any {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]map[string]any)
	for _, m := range msgs {
		id, _ := m.Values[dispatcher.DeadIDField].(string)
		out[id] = append(out[id], m.Values)
	}
	return out
}

// newProcessor creates and starts a processor; it is shut down when t ends
// (a no-op if the test already did; an error is the test's to check).
func newProcessor(t testing.TB, rdb redis.UniversalClient, d *dispatcher.Dispatcher, cfg redisstream.ProcessorConfig) *redisstream.Processor {
	t.Helper()
	p := streamtest.Start(t, rdb, d, cfg)
	t.Cleanup(func() { _ = shutdown(p) })
	return p
}

// shutdown stops p within 20s.
func shutdown(p *redisstream.Processor) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return p.Shutdown(ctx)
}

// observedLogger returns a logger that records every entry at info level
// and above (debug is too chatty for long runs).
func observedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.InfoLevel)
	return zap.New(core), logs
}

// errorLogs returns the messages of the entries at error level or above.
func errorLogs(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.FilterLevelExact(zapcore.ErrorLevel).All() {
		out = append(out, fmt.Sprintf("%s %v", e.Message, e.ContextMap()))
	}
	return out
}

// logLines renders the observed entries, one a line.
func logLines(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&b, "%s %s %s %v\n", e.Time.Format("15:04:05.000"), e.Level, e.Message, e.ContextMap())
	}
	return b.String()
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
