package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// runStatus prints each stream with its consumer groups, lag, pending entries,
// consumers and dead letters.
func runStatus(ctx context.Context, a *app, args []string) error {
	fs := a.flags("status [STREAM...] [-dead-stream NAME]")
	deadStream := fs.String("dead-stream", "", "dead-letter stream of every stream (default STREAM:dead)")
	streams, in, rdb, err := a.open(ctx, fs, args, 0, -1, inspect.Config{DeadLetterStream: *deadStream})
	if err != nil {
		return err
	}
	defer rdb.Close()
	st, err := in.Status(ctx, streams...)
	if err != nil {
		return err
	}
	if a.json {
		return writeJSON(a.out, st)
	}
	if len(st) == 0 {
		fmt.Fprintln(a.out, "no streams")
		return nil
	}
	t := newTable(a.out, "STREAM", "LENGTH", "DEAD", "CONSUMER GROUP", "LAG", "PENDING", "OLDEST PENDING", "CONSUMERS")
	for _, s := range st {
		if len(s.Groups) == 0 {
			t.row(s.Stream, s.Length, s.DeadLength, "-", "-", "-", "-", "-")
		}
		for _, g := range s.Groups {
			t.row(s.Stream, s.Length, s.DeadLength, g.Name, lagText(g), g.Pending, oldestText(g), consumersText(g))
		}
	}
	return t.flush()
}

// lagText is a group's lag: "12", "12 (counted)" when Redis could not say,
// ">=10000" when the count stopped there.
func lagText(g inspect.GroupStatus) string {
	switch g.LagSource {
	case inspect.LagCounted:
		return fmt.Sprintf("%d (counted)", g.Lag)
	case inspect.LagAtLeast:
		return fmt.Sprintf(">=%d", g.Lag)
	}
	return fmt.Sprint(g.Lag)
}

// oldestText is the age and ID of a group's oldest pending entry, or "-".
func oldestText(g inspect.GroupStatus) string {
	if g.OldestPendingID == "" {
		return "-"
	}
	return age(g.OldestPendingAge) + " (" + g.OldestPendingID + ")"
}

// consumersText lists a group's consumers with their pending count and idle
// time.
func consumersText(g inspect.GroupStatus) string {
	if len(g.Consumers) == 0 {
		return "-"
	}
	parts := make([]string, len(g.Consumers))
	for i, c := range g.Consumers {
		parts[i] = fmt.Sprintf("%s pending=%d idle=%s", c.Name, c.Pending, age(c.Idle))
	}
	return strings.Join(parts, ", ")
}
