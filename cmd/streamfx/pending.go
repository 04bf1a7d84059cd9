package main

import (
	"context"
	"errors"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// runPending prints the pending entries of a consumer group.
func runPending(ctx context.Context, a *app, args []string) error {
	fs := a.flags("pending STREAM -consumer-group GROUP [-consumer C] [-min-idle D] [-limit N]")
	var q inspect.PendingQuery
	group := fs.String("consumer-group", "", "consumer group (required)")
	a.deprecated(fs, "group", "consumer-group")
	fs.StringVar(&q.Consumer, "consumer", "", "only the entries of this consumer")
	fs.DurationVar(&q.MinIdle, "min-idle", 0, "only entries idle at least this long")
	fs.Int64Var(&q.Limit, "limit", 100, "most entries shown, oldest first")
	pos, in, rdb, err := a.open(ctx, fs, args, 1, 1, inspect.Config{})
	if err != nil {
		return err
	}
	defer rdb.Close()
	if *group == "" {
		return errors.New("-consumer-group is required")
	}
	entries, err := in.Pending(ctx, pos[0], *group, q)
	if err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.out, entries)
	}
	t := newTable(a.out, "ID", "CONSUMER", "IDLE", "DELIVERIES", "TYPE")
	for _, e := range entries {
		typ := e.Type
		if e.Deleted {
			typ = "(deleted from the stream)"
		}
		t.row(e.ID, e.Consumer, age(e.Idle), e.Deliveries, typ)
	}
	return t.flush()
}
