// Command bench measures streamfx against a raw go-redis loop on the same
// data, in one run, and prints a table followed by one machine-readable line:
//
//	RESULT consume_ratio=... publish_batch_ratio=... publish_single_ratio=... sleep1ms_c64_msgs_per_s=... p99_ms=... allocs_per_msg=...
//
// It starts its own redis-server on a free loopback port, or uses REDIS_URL
// if set (its keys are then prefixed with "streamfx-bench:<pid>:" and deleted
// afterwards). Run it with `task bench` or:
//
//	go run ./internal/cmd/bench [-n 200000] [-cpuprofile cpu.out]
//
// The number of messages comes from -n, else from the BENCH_N environment
// variable, else 200000. Absolute rates depend on the machine and on what
// else runs on it; the ratios compare runs made seconds apart on the same
// Redis, so they are the figures to compare between machines. Every scenario
// is bounded by -timeout; the command exits with status 1 if one fails, for
// example when a message is not acknowledged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run parses the options, connects to Redis, runs every scenario and prints
// the report to stdout; progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args)
	if err != nil {
		return err
	}
	if opts.cpuProfile != "" {
		stopProfile, err := startCPUProfile(opts.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	env, err := connect(ctx)
	if err != nil {
		return err
	}
	defer env.close()
	b := &bench{opts: opts, env: env, data: newDataset(datasetVariants), progress: stderr}
	if err := b.runAll(ctx); err != nil {
		return err
	}
	if opts.memProfile != "" {
		if err := writeHeapProfile(opts.memProfile); err != nil {
			return err
		}
	}
	b.report(stdout)
	return nil
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// writeHeapProfile writes an allocation profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	err = pprof.Lookup("allocs").WriteTo(f, 0)
	return errors.Join(err, f.Close())
}
