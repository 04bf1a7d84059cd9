package redisstream

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// defaultDedupWindow is how long a dedup key is remembered when
// PublisherConfig.DedupWindow is zero.
const defaultDedupWindow = 2 * time.Minute

// dedupScript writes a batch of events to one stream, in order, each unless
// its dedup key was recorded within the window, atomically, and returns the
// entry IDs in the order of the events: the new entry's, or the one
// recorded under the key. An event without a dedup key is always written.
//
// The keys are fields of two hashes, the current window's and the previous
// one's, looked up with one HMGET each; the new ones are recorded in the
// current window's hash with one HSET, and the hash expires two windows
// after its last write: a key is remembered for at least one window and at
// most two. If an XADD fails, the script stops: nothing of the batch is
// recorded, so a retry writes again what the failed call wrote.
//
//	KEYS[1] the stream, KEYS[2] the current window's hash, KEYS[3] the
//	previous window's
//	ARGV[1] the hash TTL in milliseconds, ARGV[2] the number t of trim
//	arguments, ARGV[3..2+t] the trim arguments, then per event: its dedup
//	key ("" for none), the number n of its fields, its fields
const dedupLua = `
local function chunked(cmd, key, list, step)
  local out = {}
  for s = 1, #list, step do
    local part = redis.call(cmd, key, unpack(list, s, math.min(#list, s + step - 1)))
    if type(part) == 'table' then for _, v in ipairs(part) do out[#out + 1] = v end end
  end
  return out
end
local t = tonumber(ARGV[2])
local args = {KEYS[1]}
for i = 3, 2 + t do args[#args + 1] = ARGV[i] end
args[#args + 1] = '*'
local h = #args
local starts, want = {}, {}
local i = 3 + t
while i <= #ARGV do
  starts[#starts + 1] = i
  if ARGV[i] ~= '' then want[#want + 1] = ARGV[i] end
  i = i + 2 + tonumber(ARGV[i + 1])
end
local known = {}
if #want > 0 then
  local cur, prev = chunked('HMGET', KEYS[2], want, 4000), chunked('HMGET', KEYS[3], want, 4000)
  for j = 1, #want do known[want[j]] = cur[j] or prev[j] end
end
local ids, new = {}, {}
for e, s in ipairs(starts) do
  local key, n = ARGV[s], tonumber(ARGV[s + 1])
  local id = key ~= '' and known[key]
  if not id then
    for j = 1, n do args[h + j] = ARGV[s + 1 + j] end
    id = redis.call('XADD', unpack(args, 1, h + n))
    if key ~= '' then
      known[key] = id
      new[#new + 1] = key
      new[#new + 1] = id
    end
  end
  ids[e] = id
end
if #new > 0 then
  chunked('HSET', KEYS[2], new, 4000)
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return ids
`

// dedupScript is dedupLua, run by its SHA1 (EVALSHA).
var dedupScript = redis.NewScript(dedupLua)

// PublishOption is a setting of one Publish call.
type PublishOption interface {
	applyPublish(*publishCall)
}

// publishCall holds the PublishOptions of one call.
type publishCall struct {
	dedupID string
}

type publishOptionFunc func(*publishCall)

func (f publishOptionFunc) applyPublish(c *publishCall) { f(c) }

// DedupID gives the published event an idempotency key: see Event.DedupID.
// An empty id means none.
func DedupID(id string) PublishOption {
	return publishOptionFunc(func(c *publishCall) { c.dedupID = id })
}

// publishOptions applies opts; a nil option panics.
func publishOptions(opts []PublishOption) publishCall {
	var c publishCall
	for _, o := range opts {
		if o == nil {
			panic("redisstream: nil PublishOption")
		}
		o.applyPublish(&c)
	}
	return c
}

// publishOnce writes events, of which some have a dedup key, with one
// script call, and returns the entry IDs in order; n is the number of
// fields of the batch. See dedupScript.
//
// The command is built by hand rather than with Script.Run, whose untyped
// reply costs three allocations per ID instead of one: EVALSHA, then, if
// Redis lost its script cache (NOSCRIPT, after a restart), EVAL, which
// caches it again.
func (p *Publisher) publishOnce(ctx context.Context, stream string, events []Event, encoded [][]string, n int) ([]string, error) {
	window := time.Now().UnixMilli() / p.cfg.DedupWindow.Milliseconds()
	prefix := p.dedupPrefix(stream)
	args := make([]any, 0, 8+len(p.trim)+3*len(events)+n)
	args = append(args, "evalsha", dedupScript.Hash(), 3,
		stream, prefix+strconv.FormatInt(window, 10), prefix+strconv.FormatInt(window-1, 10))
	args = append(args, p.dedupTTL, len(p.trim))
	args = append(args, p.trim...)
	for i, fields := range encoded {
		args = append(args, events[i].DedupID, len(fields))
		for j := range fields {
			args = append(args, &fields[j])
		}
	}
	cmd := redis.NewStringSliceCmd(ctx, args...)
	if err := p.rdb.Process(ctx, cmd); !redis.HasErrorPrefix(err, "NOSCRIPT") {
		return cmd.Val(), err
	}
	args[0], args[1] = "eval", dedupLua
	cmd = redis.NewStringSliceCmd(ctx, args...)
	err := p.rdb.Process(ctx, cmd)
	return cmd.Val(), err
}

// dedupPrefix returns the name of the dedup hashes of stream up to the
// window number (see DedupKeyPattern).
func (p *Publisher) dedupPrefix(stream string) string {
	return p.slotPrefixes.Prefix(stream) + dedupKeyInfix + p.windowMS + ":"
}
