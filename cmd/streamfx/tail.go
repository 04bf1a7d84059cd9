package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/streamfx/streamfx/dispatcher/inspect"
)

// errEnough ends a tail after -n entries.
var errEnough = errors.New("enough entries")

// runTail prints the entries of a stream as they arrive, one per line.
func runTail(ctx context.Context, a *app, args []string) error {
	fs := a.flags("tail STREAM [-from ID] [-n N]")
	from := fs.String("from", "$", `start after this entry ID ("$": new entries only, "0": from the first)`)
	n := fs.Int("n", 0, "stop after N entries (0: follow until interrupted)")
	pos, in, rdb, err := a.open(ctx, fs, args, 1, 1, inspect.Config{})
	if err != nil {
		return err
	}
	defer rdb.Close()
	if exists, err := rdb.Exists(ctx, pos[0]).Result(); err != nil || exists == 0 {
		if err == nil {
			err = fmt.Errorf("%w: %q", inspect.ErrNoStream, pos[0])
		}
		return err
	}
	seen := 0
	err = in.Tail(ctx, pos[0], *from, func(e inspect.Entry) error {
		if err := a.printEntry(e); err != nil {
			return err
		}
		if seen++; *n > 0 && seen >= *n {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// printEntry prints one entry: "ID TYPE PAYLOAD" with the payload as compact
// JSON, or the entry as one JSON object with -json.
func (a *app) printEntry(e inspect.Entry) error {
	if a.json {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "%s\n", b)
		return err
	}
	var payload any = e.Payload
	if e.DecodeError != "" {
		payload = map[string]any{"decode_error": e.DecodeError, "fields": e.Fields}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	typ := e.Type
	if typ == "" {
		typ = "-"
	}
	_, err = fmt.Fprintf(a.out, "%s %s %s\n", e.ID, typ, b)
	return err
}
