package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// deadUsage is the synopsis of the dead subcommands.
const deadUsage = "dead list|show|replay|purge STREAM [ID...] [filters]"

// deadFlags are the flags shared by the dead subcommands.
type deadFlags struct {
	filter     inspect.Filter
	deadStream string
	all        bool
}

// register adds the dead-letter flags to fs.
func (d *deadFlags) register(fs *flag.FlagSet) {
	f := &d.filter
	fs.StringVar(&d.deadStream, "dead-stream", "", "dead-letter stream to read (default STREAM:dead)")
	fs.StringVar(&f.Type, "type", "", "only this event type")
	fs.StringVar(&f.Route, "route", "", "only this route")
	fs.StringVar(&f.Reason, "reason", "", "only reasons containing this text (any case)")
	fs.StringVar(&f.Stream, "source", "", "only dead letters of this source stream")
	fs.StringVar(&f.MinSourceID, "min-id", "", "only source entry IDs >= this (<ms>-<seq> or <ms>)")
	fs.StringVar(&f.MaxSourceID, "max-id", "", "only source entry IDs <= this (<ms>-<seq> or <ms>)")
	fs.DurationVar(&f.OlderThan, "older-than", 0, "only dead letters at least this old (e.g. 1h)")
	fs.DurationVar(&f.NewerThan, "newer-than", 0, "only dead letters younger than this (e.g. 10m)")
}

// selects reports whether d selects anything less than everything.
func (d *deadFlags) selects() bool {
	f := d.filter
	return len(f.IDs) > 0 || f.Type != "" || f.Route != "" || f.Reason != "" || f.Stream != "" ||
		f.MinSourceID != "" || f.MaxSourceID != "" || f.OlderThan > 0 || f.NewerThan > 0
}

// runDead runs `streamfx dead SUBCOMMAND`.
func runDead(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: streamfx " + deadUsage)
	}
	sub := map[string]func(context.Context, *app, []string) error{
		"list": runDeadList, "show": runDeadShow, "replay": runDeadReplay, "purge": runDeadPurge,
	}[args[0]]
	if sub == nil {
		return fmt.Errorf("unknown subcommand %q; usage: streamfx %s", args[0], deadUsage)
	}
	return sub(ctx, a, args[1:])
}

// deadSetup parses the flags of a dead subcommand, connects, and returns the
// inspector and dead-letter stream. STREAM must exist, or its dead-letter
// stream. done closes the connection.
func deadSetup(ctx context.Context, a *app, fs *flag.FlagSet, d *deadFlags, args []string) (in *inspect.Inspector, dead string, done func(), err error) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, "", nil, err
	}
	if len(pos) == 0 {
		return nil, "", nil, fmt.Errorf("usage: %s", fs.Name())
	}
	d.filter.IDs = pos[1:]
	in, rdb, err := a.inspector(ctx, inspect.Config{DeadLetterStream: d.deadStream})
	if err != nil {
		return nil, "", nil, err
	}
	dead = in.DeadLetterStream(pos[0])
	// One key per EXISTS: on a Cluster the two may be in different slots.
	n, err := rdb.Exists(ctx, pos[0]).Result()
	if err == nil && n == 0 {
		n, err = rdb.Exists(ctx, dead).Result()
	}
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: %q (nor its dead-letter stream %q)", inspect.ErrNoStream, pos[0], dead)
	}
	if err != nil {
		_ = rdb.Close()
		return nil, "", nil, err
	}
	return in, dead, func() { _ = rdb.Close() }, nil
}

// runDeadList prints the selected dead letters.
func runDeadList(ctx context.Context, a *app, args []string) error {
	var d deadFlags
	fs := a.flags("dead list STREAM [ID...] [filters] [-limit N]")
	d.register(fs)
	limit := fs.Int("limit", 100, "most dead letters shown, oldest first (0: all)")
	in, dead, done, err := deadSetup(ctx, a, fs, &d, args)
	if err != nil {
		return err
	}
	defer done()
	list, err := in.DeadLetters(ctx, dead, d.filter, *limit)
	if err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.out, list)
	}
	now := time.Now()
	t := newTable(a.out, "ID", "AGE", "SOURCE", "TYPE", "ROUTE", "ATTEMPTS", "REASON")
	for _, l := range list {
		t.row(l.ID, age(now.Sub(l.At)), l.Stream+"/"+l.SourceID, l.Type, l.Route, l.Attempts, clip(l.Reason, 60))
	}
	return t.flush()
}

// runDeadShow prints one dead letter with its decoded payload.
func runDeadShow(ctx context.Context, a *app, args []string) error {
	var d deadFlags
	fs := a.flags("dead show STREAM ID")
	d.register(fs)
	in, dead, done, err := deadSetup(ctx, a, fs, &d, args)
	if err != nil {
		return err
	}
	defer done()
	if len(d.filter.IDs) != 1 {
		return errors.New("usage: streamfx dead show STREAM ID")
	}
	l, err := in.DeadLetter(ctx, dead, d.filter.IDs[0])
	if err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.out, l)
	}
	fmt.Fprintf(a.out, "id:        %s (%s)\nsource:    %s/%s\ntype:      %s\nroute:     %s\nattempts:  %d\nat:        %s\nreason:    %s\n",
		l.ID, l.DeadStream, l.Stream, l.SourceID, l.Type, l.Route, l.Attempts, l.At.UTC().Format(time.RFC3339), l.Reason)
	if l.DecodeError != "" {
		fmt.Fprintf(a.out, "payload:   does not decode: %s\nfields:\n", l.DecodeError)
		return writeJSON(a.out, l.Fields)
	}
	fmt.Fprintln(a.out, "payload:")
	return writeJSON(a.out, l.Payload)
}

// runDeadReplay publishes the selected dead letters back, exactly once.
func runDeadReplay(ctx context.Context, a *app, args []string) error {
	var (
		d    deadFlags
		opts inspect.ReplayOptions
	)
	fs := a.flags("dead replay STREAM [ID...] [filters | -all] [-to STREAM] [-dry-run]")
	d.register(fs)
	fs.BoolVar(&d.all, "all", false, "replay every dead letter of STREAM (needed without IDs or filters)")
	fs.StringVar(&opts.To, "to", "", "publish to this stream instead of each dead letter's source stream")
	fs.BoolVar(&opts.DryRun, "dry-run", false, "show what would be replayed, change nothing")
	in, dead, done, err := deadSetup(ctx, a, fs, &d, args)
	if err != nil {
		return err
	}
	defer done()
	if !d.selects() && !d.all {
		return errors.New("give dead letter IDs, a filter, or -all to replay every dead letter")
	}
	res, err := in.Replay(ctx, dead, d.filter, opts)
	if a.json {
		if jerr := writeJSON(a.out, res); err == nil {
			err = jerr
		}
		return err
	}
	printReplay(a, res, opts.DryRun)
	return err
}

// printReplay prints one line per dead letter and a summary.
func printReplay(a *app, res []inspect.Replayed, dryRun bool) {
	published, removed := 0, 0
	seen := make(map[string]bool) // source entries a dry run would publish
	for _, r := range res {
		dl := r.DeadLetter
		src := dl.Stream + "/" + dl.SourceID
		switch {
		case dryRun && r.EntryID == "" && seen[src]:
			fmt.Fprintf(a.out, "would remove %s: %s is replayed once, for an earlier dead letter\n", dl.ID, src)
		case dryRun && r.EntryID == "":
			seen[src] = true
			fmt.Fprintf(a.out, "would replay %s (%s, %s) to %s\n", dl.ID, src, dl.Type, r.Target)
		case dryRun:
			fmt.Fprintf(a.out, "would remove %s: %s was already replayed as %s/%s\n", dl.ID, src, r.Target, r.EntryID)
		case r.Published:
			fmt.Fprintf(a.out, "replayed %s (%s, %s) as %s/%s\n", dl.ID, src, dl.Type, r.Target, r.EntryID)
		default:
			fmt.Fprintf(a.out, "removed %s: %s was already replayed as %s/%s\n", dl.ID, src, r.Target, r.EntryID)
		}
		if r.Published {
			published++
		}
		if r.Removed {
			removed++
		}
	}
	if dryRun {
		fmt.Fprintf(a.out, "dry run: %d dead letters selected, nothing changed\n", len(res))
		return
	}
	fmt.Fprintf(a.out, "published %d entries, removed %d dead letters\n", published, removed)
}

// runDeadPurge removes the selected dead letters.
func runDeadPurge(ctx context.Context, a *app, args []string) error {
	var d deadFlags
	fs := a.flags("dead purge STREAM [ID...] [filters | -all] [-dry-run]")
	d.register(fs)
	fs.BoolVar(&d.all, "all", false, "remove every dead letter of STREAM (needed without IDs or filters)")
	dryRun := fs.Bool("dry-run", false, "show what would be removed, change nothing")
	in, dead, done, err := deadSetup(ctx, a, fs, &d, args)
	if err != nil {
		return err
	}
	defer done()
	if !d.selects() && !d.all {
		return errors.New("give dead letter IDs, a filter, or -all to remove every dead letter")
	}
	var ids []string
	if *dryRun {
		list, lerr := in.DeadLetters(ctx, dead, d.filter, 0)
		for _, l := range list {
			ids = append(ids, l.ID)
		}
		err = lerr
	} else {
		ids, err = in.Purge(ctx, dead, d.filter)
	}
	if a.json {
		if jerr := writeJSON(a.out, map[string]any{"dead_stream": dead, "ids": ids, "dry_run": *dryRun}); err == nil {
			err = jerr
		}
		return err
	}
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	for _, id := range ids {
		fmt.Fprintf(a.out, "%s %s\n", verb, id)
	}
	fmt.Fprintf(a.out, "%s %d dead letters from %s\n", verb, len(ids), dead)
	return err
}
