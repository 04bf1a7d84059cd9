package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// defaultRedisURL is used without -redis and REDIS_URL.
const defaultRedisURL = "redis://localhost:6379"

// usage is the text of `streamfx help`.
const usage = `streamfx: operate the Redis streams of streamfx applications.

Usage: streamfx COMMAND [flags] [arguments]

Commands:
  status [STREAM...]            streams, consumer groups with lag and pending, consumers, dead letters
  pending STREAM -consumer-group G
                                pending entries of a consumer group: consumer, idle, deliveries, type
  dead list STREAM [ID...]      dead letters of STREAM (STREAM:dead), decoded
  dead show STREAM ID           one dead letter with its payload
  dead replay STREAM [ID...]    publish dead letters back to their stream, exactly once
  dead purge STREAM [ID...]     remove dead letters
  tail STREAM                   follow a stream, one decoded entry per line
  trim STREAM                   remove the entries every consumer group has acknowledged
  serve [STREAM...]             run the web dashboard (-addr :8081, -read-only)

Flags of every command:
  -redis URL    Redis URL (default $REDIS_URL, else ` + defaultRedisURL + `);
                redis://[:password@]host:port[/db], rediss:// for TLS, a Cluster
                is found by itself (or list nodes with ?addr=host:port&addr=...)
  -json         JSON output for scripts

Run 'streamfx COMMAND -h' for the flags of a command.
`

// app is one run of the command: where it writes and what it reads.
type app struct {
	out, errOut io.Writer
	getenv      func(string) string
	// common flags, set on every command's FlagSet
	redisURL string
	json     bool
}

// command is one subcommand.
type command func(ctx context.Context, a *app, args []string) error

// commands are the subcommands by name.
var commands = map[string]command{
	"status":  runStatus,
	"pending": runPending,
	"dead":    runDead,
	"tail":    runTail,
	"trim":    runTrim,
	"serve":   runServe,
}

// run runs the command line args and returns the exit status: 0, or 1 after
// printing the error.
func run(ctx context.Context, args []string, out, errOut io.Writer, getenv func(string) string) int {
	a := &app{out: out, errOut: errOut, getenv: getenv}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	global := a.flags("COMMAND [flags] [arguments]")
	global.Usage = func() { fmt.Fprint(errOut, usage) }
	if err := global.Parse(args); err != nil {
		return 1
	}
	if args = global.Args(); len(args) == 0 {
		fmt.Fprint(errOut, usage)
		return 1
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errOut, "streamfx: unknown command %q\n\n%s", args[0], usage)
		return 1
	}
	err := cmd(ctx, a, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(errOut, "streamfx %s: %v\n", args[0], err)
		return 1
	}
}

// flags returns a FlagSet with the common flags for a command, named
// "streamfx "+synopsis (the usage line of its errors).
func (a *app) flags(synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("streamfx "+synopsis, flag.ContinueOnError)
	fs.SetOutput(a.errOut)
	// Defaults are the values of flags given before the command name.
	fs.StringVar(&a.redisURL, "redis", a.redisURL, "Redis URL (default $REDIS_URL, else "+defaultRedisURL+")")
	fs.BoolVar(&a.json, "json", a.json, "JSON output")
	fs.Usage = func() {
		fmt.Fprintf(a.errOut, "Usage: %s\n\nFlags:\n", fs.Name())
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with fs, allowing flags after positional arguments
// (`streamfx dead list orders -type x`), and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errors.New(strings.TrimPrefix(err.Error(), "flag provided but not defined: "))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// inspector connects to Redis and returns an Inspector, and the client to
// close when done.
func (a *app) inspector(ctx context.Context, cfg inspect.Config) (*inspect.Inspector, redis.UniversalClient, error) {
	rdb, err := connect(ctx, a.url())
	if err != nil {
		return nil, nil, err
	}
	in, err := inspect.New(rdb, cfg)
	if err != nil {
		_ = rdb.Close()
		return nil, nil, err
	}
	return in, rdb, nil
}

// url returns the Redis URL of the flags or the environment.
func (a *app) url() string {
	if a.redisURL != "" {
		return a.redisURL
	}
	if u := a.getenv("REDIS_URL"); u != "" {
		return u
	}
	return defaultRedisURL
}

// open parses args with fs, checks that they hold between lo and hi
// positional arguments (hi < 0: no upper bound), and connects. It returns
// the positional arguments, the inspector, its client and a function that
// closes the client.
func (a *app) open(ctx context.Context, fs *flag.FlagSet, args []string, lo, hi int, cfg inspect.Config) ([]string, *inspect.Inspector, redis.UniversalClient, error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(pos) < lo || (hi >= 0 && len(pos) > hi) {
		return nil, nil, nil, fmt.Errorf("usage: %s", fs.Name())
	}
	in, rdb, err := a.inspector(ctx, cfg)
	return pos, in, rdb, err
}
