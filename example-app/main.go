// Command example-app is a runnable streamfx application built with Uber fx.
//
//	go run ./example-app          # run until Ctrl-C; HTTP on :8080
//	go run ./example-app -demo    # scripted demo, one summary line, exit code
//
// Three feature modules (booking, notifications, payments) contribute routes
// whose handlers get their dependencies from fx. Failed routes are retried
// through asynq; a declined payment ends in the dead-letter stream.
//
// Redis: with neither -redis nor REDIS_URL, the app starts an embedded
// miniredis in-process (it says so in its first log lines); otherwise it
// connects to the server of that URL (the password is never logged). The
// streamfx settings come from STREAMFX_* variables (see streamfx.LoadConfig),
// with the example's defaults for those not set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.LookupEnv, os.Stderr)
	opts.environ = os.Environ()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2) // the flag package printed the problem
	}
	os.Exit(run(opts, newLogger(), os.Stdout))
}

// options are the command line settings.
type options struct {
	// redisURL is the real server to use; empty starts miniredis.
	redisURL string
	// httpAddr is the HTTP listen address; empty disables HTTP.
	httpAddr string
	// demo runs the scripted demo and exits.
	demo        bool
	demoTimeout time.Duration
	// lookupEnv reads REDIS_URL.
	lookupEnv func(string) (string, bool)
	// environ holds the STREAMFX_* variables ("KEY=value", os.Environ()).
	environ []string
}

// parseFlags parses args. In demo mode HTTP is off unless -http is given.
func parseFlags(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (options, error) {
	o := options{lookupEnv: lookupEnv}
	fs := flag.NewFlagSet("example-app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envURL, _ := lookupEnv("REDIS_URL")
	fs.StringVar(&o.redisURL, "redis", envURL, "Redis URL such as redis://:password@localhost:6379/0 (default $REDIS_URL; empty: embedded miniredis)")
	fs.StringVar(&o.httpAddr, "http", ":8080", "HTTP listen address for POST /publish, GET /healthz and GET /metrics (empty: no HTTP; off in -demo unless set)")
	fs.BoolVar(&o.demo, "demo", false, "publish a scripted set of events, wait for the outcomes, print a summary and exit")
	fs.DurationVar(&o.demoTimeout, "demo-timeout", 20*time.Second, "how long -demo waits for the outcomes")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %q", fs.Args())
		fmt.Fprintln(stderr, err)
		return o, err
	}
	httpSet := false
	fs.Visit(func(f *flag.Flag) { httpSet = httpSet || f.Name == "http" })
	if o.demo && !httpSet {
		o.httpAddr = ""
	}
	return o, nil
}

// newLogger returns a human-readable logger for a terminal.
func newLogger() *zap.Logger {
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(zapcore.InfoLevel)
	cfg.DisableStacktrace = true
	cfg.DisableCaller = true
	log, err := cfg.Build()
	if err != nil {
		return zap.NewExample()
	}
	return log
}

// run runs the app until it is stopped (SIGINT, SIGTERM, or the demo's end)
// and returns the process exit code. The demo's summary goes to stdout.
func run(o options, log *zap.Logger, stdout io.Writer) int {
	defer func() { _ = log.Sync() }()
	cfg, err := loadConfig(o.environ)
	if err != nil {
		log.Error("invalid streamfx configuration", zap.Error(err))
		return 1
	}
	url := o.redisURL
	if url == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			log.Error("cannot start the embedded miniredis", zap.Error(err))
			return 1
		}
		defer mr.Close()
		url = "redis://" + mr.Addr()
		log.Info("redis: none configured (REDIS_URL or -redis): using an embedded miniredis, in-process; its data is lost at exit",
			zap.String("addr", mr.Addr()))
	} else {
		log.Info("redis: using a real server", zap.String("url", redactURL(url)))
	}
	var d demoResult
	app := fx.New(appOptions(o, cfg, redisURL(url), log, &d))
	if err := app.Err(); err != nil {
		// A plain string: dig's errors would add a verbose copy.
		log.Error("cannot build the app", zap.String("error", err.Error()))
		return 1
	}
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		log.Error("cannot start the app", zap.String("error", err.Error()))
		return 1
	}
	sig := <-app.Wait()
	if o.demo {
		log.Info("stopping the app: draining in-flight work")
	} else {
		log.Info("signal received: stopping the app, draining in-flight work", zap.Stringer("signal", sig.Signal))
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancelStop()
	code := sig.ExitCode
	if err := app.Stop(stopCtx); err != nil {
		log.Error("stopped with errors", zap.Error(err))
		code = max(code, 1)
	}
	if o.demo {
		return d.report(log, stdout, code)
	}
	log.Info("stopped")
	return code
}
