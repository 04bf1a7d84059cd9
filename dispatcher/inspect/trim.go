package inspect

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// trimAcked computes, in one atomic step, the trim point of the stream
// KEYS[1]: the smallest, over its consumer groups, of the group's oldest
// pending entry ID and the ID just after its last delivered one. With
// ARGV[1] = "trim" it then removes the entries below that point (XTRIM MINID,
// exact, or "~" when ARGV[2] = "~"). It returns {trim point, groups,
// entries removed}; {false, 0, 0} for a stream without groups.
//
// IDs are compared as decimal strings (length, then text), so sequence
// numbers above 2^53 keep every digit.
var trimAcked = redis.NewScript(`
local function less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function split(id)
  local dash = string.find(id, '-', 1, true)
  return string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
end
local function idless(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  if am ~= bm then return less(am, bm) end
  return less(as, bs)
end
local function incr(s)
  local d = {string.byte(s, 1, -1)}
  local i = #d
  while i >= 1 do
    if d[i] < 57 then d[i] = d[i] + 1; break end
    d[i] = 48; i = i - 1
  end
  local out = string.char(unpack(d))
  if i == 0 then out = '1' .. out end
  return out
end
local function nextid(id)
  local ms, seq = split(id)
  if seq == '18446744073709551615' then return incr(ms) .. '-0' end
  return ms .. '-' .. incr(seq)
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
local point = false
for _, g in ipairs(groups) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
    if g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local bound = nextid(last)
  local pending = redis.call('XPENDING', KEYS[1], name)
  if pending[1] > 0 and idless(pending[2], bound) then bound = pending[2] end
  if not point or idless(bound, point) then point = bound end
end
if not point then return {false, 0, 0} end
local removed = 0
if ARGV[1] == 'trim' then
  if ARGV[2] == '~' then
    removed = redis.call('XTRIM', KEYS[1], 'MINID', '~', point)
  else
    removed = redis.call('XTRIM', KEYS[1], 'MINID', point)
  end
end
return {point, #groups, removed}
`)

// TrimOptions configures a Trim.
type TrimOptions struct {
	// Approx trims with XTRIM MINID ~: Redis removes only whole macro nodes,
	// so it may keep some entries below the trim point (never fewer
	// entries than exact trimming keeps), at a lower cost.
	Approx bool
	// DryRun computes the trim point and counts what would be removed, and
	// removes nothing.
	DryRun bool
	// CountLimit bounds the count of a dry run. If zero, 100000.
	CountLimit int64
}

// TrimResult is what Trim did, or would do.
type TrimResult struct {
	// Stream is the trimmed stream.
	Stream string `json:"stream"`
	// MinID is the trim point: every entry below it has been acknowledged by
	// every group, and none at or above it is removed.
	MinID string `json:"min_id"`
	// Groups is how many consumer groups the rule took into account.
	Groups int64 `json:"consumer_groups"`
	// Removed is how many entries were removed; in a dry run, how many
	// would be.
	Removed int64 `json:"removed"`
	// AtLeast is true in a dry run whose count stopped at CountLimit:
	// Removed or more entries would be removed.
	AtLeast bool `json:"at_least,omitempty"`
	// DryRun is true when nothing was removed on purpose.
	DryRun bool `json:"dry_run,omitempty"`
}

// Trim removes the entries of stream that every consumer group has
// acknowledged: those below TrimPoint. The rule and the XTRIM run in one Lua
// script, so a group that acks, reads or is created meanwhile cannot make it
// remove more. It returns ErrNoStream for a missing stream and ErrNoGroup for
// a stream without consumer groups (nothing is acknowledged there, so nothing
// is removed).
//
// The rule, for each group: an entry delivered and not acknowledged is
// pending, so the group's bound is its oldest pending ID; an entry after the
// last delivered ID is not read yet, so the bound is at most the ID just
// after it. The trim point is the smallest bound over all groups.
func (in *Inspector) Trim(ctx context.Context, stream string, opts TrimOptions) (TrimResult, error) {
	mode, approx := "trim", "="
	if opts.DryRun {
		mode = "dry"
	}
	if opts.Approx {
		approx = "~"
	}
	reply, err := trimAcked.Run(ctx, in.rdb, []string{stream}, mode, approx).Slice()
	if err != nil {
		if isNoSuchKey(err) {
			return TrimResult{}, fmt.Errorf("%w: %q", ErrNoStream, stream)
		}
		return TrimResult{}, fmt.Errorf("inspect: trim %s: %w", stream, err)
	}
	point, _ := reply[0].(string)
	if point == "" {
		return TrimResult{}, fmt.Errorf("%w: stream %q has none, so nothing is acknowledged and nothing is trimmed", ErrNoGroup, stream)
	}
	res := TrimResult{Stream: stream, MinID: point, DryRun: opts.DryRun}
	res.Groups, _ = reply[1].(int64)
	res.Removed, _ = reply[2].(int64)
	if opts.DryRun {
		limit := opts.CountLimit
		if limit <= 0 {
			limit = 100000
		}
		n, complete, err := in.countRange(ctx, stream, "-", "("+point, limit)
		if err != nil {
			return res, fmt.Errorf("inspect: count entries below %s in %s: %w", point, stream, err)
		}
		res.Removed, res.AtLeast = n, !complete
	}
	return res, nil
}

// TrimPoint returns the ID below which every entry of stream has been
// acknowledged by every consumer group (see Trim), without removing anything.
func (in *Inspector) TrimPoint(ctx context.Context, stream string) (string, error) {
	res, err := in.Trim(ctx, stream, TrimOptions{DryRun: true, CountLimit: 1})
	return res.MinID, err
}
