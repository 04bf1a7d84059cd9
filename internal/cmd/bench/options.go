package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	defaultN        = 200000
	datasetVariants = 1000
)

// options are the command-line settings.
type options struct {
	n          int           // messages per consume scenario
	readBatch  int           // XREADGROUP COUNT, raw loop and Processor alike
	pubBatch   int           // events per PublishBatch / pipeline
	singleN    int           // messages per single-publish scenario
	rounds     int           // runs of the consume and publish comparisons
	sleepConc  int           // Concurrency of the 1 ms handler scenario
	batchN     int           // messages per batch route scenario
	rate       int           // latency scenario: messages per second
	latencyN   int           // latency scenario: messages
	timeout    time.Duration // bound of each scenario
	only       map[string]bool
	cpuProfile string
	memProfile string
}

// scenario names accepted by -only.
var scenarioNames = []string{"consume", "sleep", "ordered", "batch", "publish", "dedup", "idempotent", "latency", "partitioned"}

// parseOptions reads the flags; -n defaults to BENCH_N, then to 200000.
func parseOptions(args []string) (options, error) {
	n := defaultN
	if s := os.Getenv("BENCH_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			return options{}, fmt.Errorf("BENCH_N=%q: want a positive integer", s)
		}
		n = v
	}
	var o options
	var only string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.n, "n", n, "messages per consume scenario (default: BENCH_N, else 200000)")
	fs.IntVar(&o.readBatch, "batch", 500, "XREADGROUP COUNT of the raw loop and BatchSize of the Processor")
	fs.IntVar(&o.pubBatch, "pubbatch", 500, "events per PublishBatch and per raw XADD pipeline")
	fs.IntVar(&o.singleN, "single-n", 0, "messages per single-publish scenario (default: min(n, 20000))")
	fs.IntVar(&o.rounds, "rounds", 3, "runs of each consume and publish scenario, alternating streamfx and raw; the best run counts")
	fs.IntVar(&o.sleepConc, "sleep-concurrency", 64, "Concurrency of the 1 ms handler scenario")
	fs.IntVar(&o.batchN, "batch-n", 0, "messages per batch route scenario (default: min(n, 50000))")
	fs.IntVar(&o.rate, "rate", 5000, "latency scenario: messages per second")
	fs.IntVar(&o.latencyN, "latency-n", 0, "latency scenario: messages (default: min(n, 5 s at -rate))")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound of each scenario")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run: "+strings.Join(scenarioNames, ","))
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write an allocation profile to this file")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.n <= 0 || o.readBatch <= 0 || o.pubBatch <= 0 || o.sleepConc <= 0 || o.rounds <= 0 || o.rate <= 0 || o.timeout <= 0 {
		return options{}, fmt.Errorf("-n, -batch, -pubbatch, -rounds, -sleep-concurrency, -rate and -timeout must be positive")
	}
	if o.singleN <= 0 {
		o.singleN = min(o.n, 20000)
	}
	if o.batchN <= 0 {
		o.batchN = min(o.n, 50000)
	}
	if o.latencyN <= 0 {
		o.latencyN = min(o.n, 5*o.rate)
	}
	o.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !contains(scenarioNames, s) {
			return options{}, fmt.Errorf("-only: unknown scenario %q", s)
		}
		o.only[s] = true
	}
	return o, nil
}

// runs reports whether scenario is selected.
func (o options) runs(scenario string) bool { return len(o.only) == 0 || o.only[scenario] }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
