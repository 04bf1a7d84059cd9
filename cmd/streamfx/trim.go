package main

import (
	"context"
	"fmt"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// runTrim removes the entries every consumer group has acknowledged.
func runTrim(ctx context.Context, a *app, args []string) error {
	fs := a.flags("trim STREAM [-dry-run] [-approx]")
	var opts inspect.TrimOptions
	fs.BoolVar(&opts.DryRun, "dry-run", false, "show what would be removed, change nothing")
	fs.BoolVar(&opts.Approx, "approx", false, "trim with XTRIM MINID ~ (cheaper; may keep some acknowledged entries)")
	pos, in, rdb, err := a.open(ctx, fs, args, 1, 1, inspect.Config{})
	if err != nil {
		return err
	}
	defer rdb.Close()
	res, err := in.Trim(ctx, pos[0], opts)
	if err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.out, res)
	}
	count := fmt.Sprint(res.Removed)
	if res.AtLeast {
		count = "at least " + count
	}
	verb := "removed"
	if res.DryRun {
		verb = "would remove"
	}
	_, err = fmt.Fprintf(a.out, "%s: %s %s entries below %s (acknowledged by all %d consumer groups)\n",
		res.Stream, verb, count, res.MinID, res.Groups)
	return err
}
