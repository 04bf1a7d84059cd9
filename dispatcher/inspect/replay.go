package inspect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/streamfx/streamfx/dispatcher"
)

// replayMarkerSuffix names, beside a target stream, the marker of one
// replayed source entry: "<target>:replayed:<stream>/<id>" (in the target's
// Cluster slot, see sameSlotKey).
const replayMarkerSuffix = ":replayed:"

// publishOnce adds the fields in ARGV[2..] to the stream KEYS[1] unless the
// marker KEYS[2] exists, and sets the marker to the new entry's ID for
// ARGV[1] seconds, atomically. It returns {1, new ID}, or {0, ID published
// before}.
var publishOnce = redis.NewScript(`
local done = redis.call('GET', KEYS[2])
if done then return {0, done} end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'EX', ARGV[1])
return {1, id}
`)

// ReplayOptions configures a Replay.
type ReplayOptions struct {
	// To, if set, is the stream the dead letters are published to, instead
	// of the source stream each one names.
	To string
	// DryRun reports what Replay would do and writes nothing.
	DryRun bool
}

// Replayed is what Replay did with one dead letter.
type Replayed struct {
	// DeadLetter is the dead letter.
	DeadLetter DeadLetter `json:"dead_letter"`
	// Target is the stream its entry is (or would be) published to.
	Target string `json:"target"`
	// EntryID is the ID of the entry published for it, "" in a dry run when
	// it would be published now.
	EntryID string `json:"entry_id,omitempty"`
	// Published is true when this call published EntryID. It is false in a
	// dry run, and when the source entry had been published before: by an
	// earlier dead letter of the same entry (one per failed route) or by an
	// earlier Replay that stopped before removing the dead letter.
	Published bool `json:"published"`
	// Removed is true when the dead letter was removed from its stream.
	Removed bool `json:"removed"`
}

// Replay publishes the dead letters of deadStream that f selects back to
// their source stream (or opts.To), and removes them from deadStream. The
// entry published holds the original fields, without the dead-letter fields,
// under a new ID: every route of its type runs again, not only the one that
// failed (handlers are idempotent).
//
// Exactly once: the dead letters of one source entry (one per failed route)
// publish it once. A script in the target stream's slot adds the entry and
// sets a marker key beside it ("<target>:replayed:<stream>/<id>", kept
// Config.ReplayMarkerTTL) in one atomic step, and publishes nothing when the
// marker exists; the dead letters are removed (XDEL) after. So a second run
// with the same selection publishes nothing (the dead letters are gone), two
// concurrent runs publish once, and a run that stopped between the publish
// and the XDEL (a crash, Redis unreachable) publishes nothing when run again
// within the marker's TTL: it only removes the dead letters. On a Redis
// Cluster the target stream and the dead-letter stream may live in different
// slots; the marker is in the target's slot, so this holds there too.
//
// Replay returns what it did, in ID order, up to the first error.
func (in *Inspector) Replay(ctx context.Context, deadStream string, f Filter, opts ReplayOptions) ([]Replayed, error) {
	var out []Replayed
	err := in.scanDead(ctx, deadStream, f, func(page []DeadLetter) error {
		for _, group := range bySourceEntry(page) {
			done, err := in.replayEntry(ctx, group, opts)
			out = append(out, done...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// replayEntry publishes the source entry of group (dead letters of one
// source entry) once, then removes the dead letters.
func (in *Inspector) replayEntry(ctx context.Context, group []DeadLetter, opts ReplayOptions) ([]Replayed, error) {
	first := group[0]
	target := opts.To
	if target == "" {
		target = first.Stream
	}
	if target == "" {
		return nil, fmt.Errorf("%w: %s in %s (use a target stream)", ErrNoTarget, first.ID, first.DeadStream)
	}
	marker := sameSlotKey(target, replayMarkerSuffix+first.replayKey())
	var (
		entryID   string
		published bool
		err       error
	)
	if opts.DryRun {
		entryID, err = in.rdb.Get(ctx, marker).Result()
		if errors.Is(err, redis.Nil) {
			entryID, err = "", nil
		}
	} else {
		entryID, published, err = in.publishOnce(ctx, target, marker, first.Fields)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect: replay %s of %s to %s: %w", first.ID, first.DeadStream, target, err)
	}
	out := make([]Replayed, len(group))
	ids := make([]string, len(group))
	for i, d := range group {
		out[i] = Replayed{DeadLetter: d, Target: target, EntryID: entryID, Published: published && i == 0}
		ids[i] = d.ID
	}
	if opts.DryRun {
		return out, nil
	}
	if err := in.rdb.XDel(ctx, first.DeadStream, ids...).Err(); err != nil {
		return out, fmt.Errorf("inspect: replayed %s/%s as %s/%s, but could not remove its dead letters (a new run removes them and publishes nothing): %w",
			first.Stream, first.SourceID, target, entryID, err)
	}
	for i := range out {
		out[i].Removed = true
	}
	return out, nil
}

// publishOnce runs the publishOnce script: fields to target unless marker
// exists.
func (in *Inspector) publishOnce(ctx context.Context, target, marker string, fields map[string]string) (string, bool, error) {
	args := make([]any, 0, 1+2*len(fields))
	args = append(args, strconv.FormatInt(int64(in.cfg.ReplayMarkerTTL.Seconds()), 10))
	if t, ok := fields[dispatcher.TypeField]; ok {
		args = append(args, dispatcher.TypeField, t)
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != dispatcher.TypeField {
			args = append(args, k, fields[k])
		}
	}
	reply, err := publishOnce.Run(ctx, in.rdb, []string{target, marker}, args...).Slice()
	if err != nil {
		return "", false, err
	}
	if len(reply) != 2 {
		return "", false, fmt.Errorf("unexpected script reply %v", reply)
	}
	flag, _ := reply[0].(int64)
	id, _ := reply[1].(string)
	return id, flag == 1, nil
}

// bySourceEntry groups the dead letters of page by source entry, in the
// order of each entry's first dead letter.
func bySourceEntry(page []DeadLetter) [][]DeadLetter {
	index := make(map[string]int)
	var out [][]DeadLetter
	for _, d := range page {
		k := d.replayKey()
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	return out
}
