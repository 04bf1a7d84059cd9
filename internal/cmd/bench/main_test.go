package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamfx/streamfx/internal/redistest"
)

// resultRE is the exact shape of a complete RESULT line.
var resultRE = regexp.MustCompile(`^RESULT consume_ratio=\d+\.\d{3} publish_batch_ratio=\d+\.\d{3} ` +
	`publish_single_ratio=\d+\.\d{3} sleep1ms_c64_msgs_per_s=\d+ p99_ms=\d+\.\d{3} allocs_per_msg=\d+\.\d dedup_publish_ratio=\d+\.\d{3} batch_ratio=\d+\.\d{3} cpu_ratio=\d+\.\d{3} ordered_ratio=\d+\.\d{3} idempotent_consume_ratio=\d+\.\d{3} partitioned_scale=\d+\.\d{3}$`)

// small are options that keep a whole run to a few seconds.
var small = []string{"-n", "2000", "-rounds", "1", "-single-n", "300", "-latency-n", "300", "-timeout", "30s"}

func runBench(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestRunAllOnRedisURL runs every scenario against REDIS_URL: the last line
// is a complete RESULT line, the table names every scenario, and no key is
// left behind.
func TestRunAllOnRedisURL(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	t.Setenv("REDIS_URL", "redis://"+srv.Addr)
	out, errOut, err := runBench(t, small...)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, errOut)
	}
	if line := lastLine(out); !resultRE.MatchString(line) {
		t.Errorf("last line %q does not match %s\noutput:\n%s", line, resultRE, out)
	}
	for _, want := range []string{"consume raw", "consume streamfx (", "1 ms handler", "OrderKey", "Publish, sequential",
		"PublishBatch", "encoding/json", "DedupID each", "idempotent no-op", "latency publish->handler", "batch route MaxBatch 500, 1 ms/call",
		"batch route MaxBatch 500, no-op", "per-message route, default Concurrency, no-op", "allocs", "µs CPU", "peak RSS",
		"cluster: 1 Processor, 1 stream", "3 PartitionedProcessors, 12 partitions", "partitions per master 4/4/4"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Errorf("%d keys left behind: %v", n, rdb.Keys(context.Background(), "*").Val())
	}
}

// TestRunOwnServerOnly starts its own redis-server and runs one scenario:
// the figures of the others are "-".
func TestRunOwnServerOnly(t *testing.T) {
	t.Setenv("REDIS_URL", "")
	out, errOut, err := runBench(t, append(small, "-only", "publish")...)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, errOut)
	}
	want := regexp.MustCompile(`^RESULT consume_ratio=- publish_batch_ratio=\d+\.\d{3} publish_single_ratio=\d+\.\d{3} ` +
		`sleep1ms_c64_msgs_per_s=- p99_ms=- allocs_per_msg=- dedup_publish_ratio=- batch_ratio=- cpu_ratio=- ordered_ratio=- idempotent_consume_ratio=- partitioned_scale=-$`)
	if line := lastLine(out); !want.MatchString(line) {
		t.Errorf("last line %q does not match %s", line, want)
	}
	if strings.Contains(out, "consume raw") {
		t.Errorf("consume ran despite -only publish:\n%s", out)
	}
}

// TestRunFailsWithoutRedis reports an unreachable REDIS_URL as an error.
func TestRunFailsWithoutRedis(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:"+strconv.Itoa(redistest.FreePort(t)))
	if _, _, err := runBench(t, small...); err == nil || !strings.Contains(err.Error(), "ping redis") {
		t.Fatalf("run = %v, want a ping error", err)
	}
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		args    []string
		wantN   int
		wantErr string
	}{
		{name: "default", wantN: defaultN},
		{name: "BENCH_N", env: "1234", wantN: 1234},
		{name: "flag beats BENCH_N", env: "1234", args: []string{"-n", "99"}, wantN: 99},
		{name: "bad BENCH_N", env: "many", wantErr: "BENCH_N"},
		{name: "zero BENCH_N", env: "0", wantErr: "BENCH_N"},
		{name: "negative flag", args: []string{"-n", "-1"}, wantErr: "positive"},
		{name: "unknown scenario", args: []string{"-only", "consume,nope"}, wantErr: `"nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BENCH_N", tt.env)
			o, err := parseOptions(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.n != tt.wantN {
				t.Errorf("n = %d, want %d", o.n, tt.wantN)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	sorted := make([]time.Duration, 1000)
	for i := range sorted {
		sorted[i] = time.Duration(i + 1)
	}
	for q, want := range map[float64]time.Duration{0.5: 500, 0.99: 990, 0.999: 999, 1: 1000, 0: 1} {
		if got := quantile(sorted, q); got != want {
			t.Errorf("quantile(%v) = %d, want %d", q, got, want)
		}
	}
}

// TestPairedRatios checks the median and range of the ratios of paired
// runs, and that a single run or unpaired runs give nothing.
func TestPairedRatios(t *testing.T) {
	ms := func(d ...int) trials {
		var out trials
		for _, v := range d {
			out = append(out, trial{wall: time.Duration(v) * time.Millisecond})
		}
		return out
	}
	cases := []struct {
		base, runs trials
		want       string
	}{
		{ms(100, 100, 100), ms(200, 50, 100), ", paired runs: median x1.00, x0.50-x2.00"},
		{ms(100, 100), ms(125, 50), ", paired runs: median x1.40, x0.80-x2.00"},
		{ms(100), ms(50), ""},
		{ms(100, 100), ms(50), ""},
	}
	for _, c := range cases {
		if got := pairedRatios(c.base, c.runs); got != c.want {
			t.Errorf("pairedRatios(%v, %v) = %q, want %q", c.base, c.runs, got, c.want)
		}
	}
}
